import threading
import time

from app.engine.slot import LatestSlot


def test_newest_value_wins_and_stale_values_count_as_dropped() -> None:
    slot: LatestSlot[int] = LatestSlot()
    for value in range(5):
        slot.put(value)
    assert slot.take(timeout=0) == 4
    assert slot.dropped == 4
    assert slot.take(timeout=0.01) is None  # nothing new


def test_take_waits_for_a_writer_and_close_wakes_readers() -> None:
    slot: LatestSlot[str] = LatestSlot()
    threading.Timer(0.05, slot.put, args=("frame",)).start()
    assert slot.take(timeout=2.0) == "frame"
    woke = []
    reader = threading.Thread(target=lambda: woke.append(slot.take(timeout=5.0)))
    reader.start()
    time.sleep(0.05)
    slot.close()
    reader.join(1.0)
    assert woke == [None] and not reader.is_alive()


def test_peek_keeps_the_last_value_for_pacing() -> None:
    slot: LatestSlot[int] = LatestSlot()
    slot.put(7)
    assert slot.take(timeout=0) == 7
    assert slot.peek() == (7, 1)


def test_a_reopened_slot_is_empty_but_its_version_goes_on() -> None:
    """After ``Engine.stop()`` and ``start()``, ``peek`` gave the previous run's last frame."""
    slot: LatestSlot[int] = LatestSlot()
    slot.put(7)
    slot.close()
    slot.reopen()
    assert slot.peek() == (None, 1)
    slot.put(8)
    assert slot.peek() == (8, 2) and slot.take(timeout=0) == 8

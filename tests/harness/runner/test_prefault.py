"""A forked process reports which of its parent's resident pages it wrote into, and copying pages up front leaves
what they hold as it was and spares the page faults of writing them."""
import ctypes
import mmap
import os
import pickle
import re
import resource
import sys

import pytest

from harness.runner import prefault

PAGE = mmap.PAGESIZE
LINUX = sys.platform.startswith("linux")
KERNEL = tuple(int(part) for part in re.findall(r"\d+", os.uname().release)[:2]) if LINUX else (0, 0)


def in_child(work):
    """What `work()` returns when run in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(work()))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as incoming:
        payload = incoming.read()
    os.waitpid(pid, 0)
    return pickle.loads(payload)


def buffer(pages: int, touched: bool) -> tuple[mmap.mmap, int]:
    """A private anonymous mapping of `pages` pages (each page written once when `touched`) and its address."""
    memory = mmap.mmap(-1, pages * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if touched:
        for page in range(pages):
            memory[page * PAGE] = page % 251 + 1
    return memory, ctypes.addressof(ctypes.c_char.from_buffer(memory))


def pages_within(ranges, start: int, pages: int) -> set[int]:
    """The page indexes of a buffer at `start` that `ranges` cover."""
    end = start + pages * PAGE
    return {(address - start) // PAGE
            for low, high in ranges for address in range(max(low, start), min(high, end), PAGE)}


@pytest.mark.skipif(not LINUX, reason="reads /proc/self/pagemap (Linux only)")
def test_a_forked_process_reports_the_resident_pages_it_wrote_and_no_other():
    resident, at = buffer(64, touched=True)
    untouched, untouched_at = buffer(8, touched=False)  # never resident in the parent: copying it would grow RSS
    pages = prefault.WrittenPages()

    def write():
        for page in (*range(10, 20), 40):
            resident[page * PAGE + 1] = 7
        untouched[0] = 1
        return pages.written()

    written = in_child(write)
    assert pages_within(written, at, 64) == {*range(10, 20), 40}
    assert pages_within(written, untouched_at, 8) == set()
    assert resident[10 * PAGE + 1] == 0  # the parent's page is its own


def faults_writing_each_page(memory: mmap.mmap, pages: int) -> int:
    """The minor page faults this process takes while writing one byte into each of `pages` pages of `memory`."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for page in range(pages):
        memory[page * PAGE + 1] = 9
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(KERNEL < (5, 14), reason="MADV_POPULATE_WRITE needs Linux 5.14")
def test_copied_pages_hold_what_they_held_and_writing_them_takes_no_page_fault():
    memory, at = buffer(32, touched=True)
    uncopied, _ = buffer(32, touched=True)
    warm, warm_at = buffer(32, touched=True)

    def copy_then_write():
        prefault.copy([(at, at + 32 * PAGE), (warm_at, warm_at + 32 * PAGE)])
        held = [memory[page * PAGE] for page in range(32)]
        # the loop's own first run writes the reference counts of objects shared with the parent (small ints, code):
        # copy-on-write faults of the interpreter's pages, not of the buffer's, so they are taken before measuring
        faults_writing_each_page(warm, 32)
        return held, faults_writing_each_page(memory, 32), faults_writing_each_page(uncopied, 32)

    held, copied_faults, uncopied_faults = in_child(copy_then_write)
    assert held == [page % 251 + 1 for page in range(32)]
    assert uncopied_faults >= 32  # without the copy, each of the 32 writes is a copy-on-write fault
    assert copied_faults < 8
    assert memory[PAGE + 1] == 0


def test_copying_a_range_no_longer_mapped_is_left_to_the_page_faults():
    memory, at = buffer(4, touched=True)
    memory.close()
    prefault.copy([(at, at + 4 * PAGE)])  # ENOMEM from the kernel: nothing copied, nothing raised

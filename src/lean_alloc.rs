//! The lean browser build's allocator: power-of-two size classes with a
//! free list each, carved from memory grown at the end of the module's
//! memory. A tenth of `dlmalloc`'s code; the engine's allocations are small
//! and short-lived (a ruleset, then one JSON request and answer per
//! decision), and the same sizes recur from one decision to the next, so
//! freed blocks are reused instead of coalesced.
//!
//! Every block of class `c` is `2^c` bytes and aligned to `2^c`, so any
//! layout whose size and alignment fit the class is served by any block of it.

use std::alloc::{GlobalAlloc, Layout};
use std::arch::wasm32;
use std::cell::UnsafeCell;

const PAGE: usize = 65_536;
const MIN_CLASS: u32 = 3;
const CLASSES: usize = 32;

struct State {
    free: [usize; CLASSES],
    next: usize,
    limit: usize,
}

pub struct LeanAlloc(UnsafeCell<State>);

// wasm32 without threads: there is one thread.
unsafe impl Sync for LeanAlloc {}

#[global_allocator]
static ALLOC: LeanAlloc = LeanAlloc(UnsafeCell::new(State { free: [0; CLASSES], next: 0, limit: 0 }));

fn class(layout: &Layout) -> Option<u32> {
    let size = layout.size().max(layout.align());
    if size > 1 << 30 {
        return None;
    }
    Some(size.next_power_of_two().trailing_zeros().max(MIN_CLASS))
}

unsafe impl GlobalAlloc for LeanAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let s = &mut *self.0.get();
        let Some(c) = class(&layout) else { return std::ptr::null_mut() };
        let head = s.free[c as usize];
        if head != 0 {
            s.free[c as usize] = *(head as *const usize);
            return head as *mut u8;
        }
        if s.limit == 0 {
            s.limit = wasm32::memory_size(0) * PAGE;
            s.next = s.limit;
        }
        let size = 1usize << c;
        let start = (s.next + size - 1) & !(size - 1);
        let end = start + size;
        if end > s.limit {
            let pages = (end - s.limit).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return std::ptr::null_mut();
            }
            s.limit += pages * PAGE;
        }
        s.next = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let s = &mut *self.0.get();
        if let Some(c) = class(&layout) {
            *(ptr as *mut usize) = s.free[c as usize];
            s.free[c as usize] = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        if class(&layout) == class(&new_layout) {
            return ptr;
        }
        let new = self.alloc(new_layout);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

//! A requestAnimationFrame loop that stops when dropped, so an unmounted or paused widget leaves nothing running.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_render::{request_animation_frame, AnimationFrame};

type Handle = Rc<RefCell<Option<AnimationFrame>>>;
type OnFrame = Rc<RefCell<dyn FnMut(f64) -> bool>>;

pub struct FrameLoop {
    handle: Handle,
}

impl FrameLoop {
    /// Calls `on_frame` with the real milliseconds since the previous frame (0 on the first) on every
    /// animation frame until it returns false or the loop is dropped.
    pub fn start(on_frame: impl FnMut(f64) -> bool + 'static) -> FrameLoop {
        let handle: Handle = Rc::new(RefCell::new(None));
        let on_frame: OnFrame = Rc::new(RefCell::new(on_frame));
        schedule(handle.clone(), on_frame, Rc::new(Cell::new(None)));
        FrameLoop { handle }
    }
}

fn schedule(handle: Handle, on_frame: OnFrame, last: Rc<Cell<Option<f64>>>) {
    let next_handle = handle.clone();
    let frame = request_animation_frame(move |timestamp_ms| {
        let dt_ms = last.get().map_or(0.0, |previous| (timestamp_ms - previous).max(0.0));
        last.set(Some(timestamp_ms));
        let go_on = (on_frame.borrow_mut())(dt_ms);
        if go_on {
            schedule(next_handle, on_frame, last);
        } else {
            next_handle.borrow_mut().take();
        }
    });
    *handle.borrow_mut() = Some(frame);
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        // Dropping the pending AnimationFrame cancels it; the chain ends there.
        self.handle.borrow_mut().take();
    }
}

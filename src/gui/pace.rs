//! How soon the window draws what arrived, and how long a frame files events.
//! Hooks that come one at a time, even a few a second, are drawn at once. Under a
//! flood (another wake soon after a frame that filed many events) news is drawn
//! once a second, each frame filing all that waited, so drawing leaves the cores
//! to capture: on a software renderer one frame costs as much CPU as a few
//! thousand captured requests. Input still redraws at once.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How soon news is drawn.
pub const NEWS_REPAINT: Duration = Duration::from_millis(30);
/// How often news is drawn under a flood.
pub const FLOOD_REPAINT: Duration = Duration::from_millis(1000);
/// A wake this soon after the start of a frame, when that frame (or, while it
/// runs, the one before) filed [`FLOOD_EVENTS`], is part of a flood. It is
/// counted from the frame, not from the wake before: under a flood the window is
/// woken once per frame, so wakes come [`FLOOD_REPAINT`] apart.
pub const FLOOD_WAKES: Duration = Duration::from_secs(1);
/// A frame that filed this many events was drawing a flood: at news' pace that
/// is over 300 events a second.
pub const FLOOD_EVENTS: usize = 10;
/// Most time a frame spends filing new events.
pub const FRAME_BUDGET: Duration = Duration::from_millis(4);
/// Most time a frame spends filing under a flood: enough for everything that
/// arrived since the last frame at tens of thousands of events a second (on
/// cores shared with the capture, wall time runs well ahead of the frame's own
/// CPU time), so no second frame is drawn just to file the rest.
pub const FLOOD_BUDGET: Duration = Duration::from_millis(50);
/// How soon a frame that left events waiting is followed by the next.
pub const CATCH_UP: Duration = Duration::from_millis(16);

/// The window's pace, shared by the waker (capture threads) and the frame.
#[derive(Debug, Default)]
pub struct Pace(Mutex<Wakes>);

#[derive(Debug, Default)]
struct Wakes {
    /// When the last frame started.
    frame: Option<Instant>,
    /// Events the last frame filed.
    filed: usize,
    flood: bool,
}

impl Pace {
    /// News woke the window at `now`: how soon to draw it.
    pub fn wake(&self, now: Instant) -> Duration {
        let mut wakes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        wakes.flood = wakes.filed >= FLOOD_EVENTS
            && wakes
                .frame
                .is_some_and(|at| now.saturating_duration_since(at) < FLOOD_WAKES);
        if wakes.flood {
            FLOOD_REPAINT
        } else {
            NEWS_REPAINT
        }
    }

    /// A frame starts at `now`. Wakes while it files (another group may come)
    /// are measured from it.
    pub fn frame(&self, now: Instant) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).frame = Some(now);
    }

    /// The frame filed `events`.
    pub fn filed(&self, events: usize) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).filed = events;
    }

    /// Whether the last wake came in a flood. It stays so until a wake comes
    /// after a quiet spell: frames without news file nothing anyway.
    pub fn flooded(&self) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).flood
    }

    /// How long a frame may spend filing events.
    pub fn budget(&self) -> Duration {
        if self.flooded() {
            FLOOD_BUDGET
        } else {
            FRAME_BUDGET
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_drawn_once_a_second_and_what_comes_after_it_at_once() {
        let pace = Pace::default();
        let start = Instant::now();
        assert_eq!(pace.wake(start), NEWS_REPAINT);
        assert!(!pace.flooded());
        assert_eq!(pace.budget(), FRAME_BUDGET);
        // The frame that drew the first events filed many; the next wake comes
        // right after it.
        let frame = start + NEWS_REPAINT;
        pace.frame(frame);
        pace.filed(120);
        let first = frame + Duration::from_millis(5);
        assert_eq!(pace.wake(first), FLOOD_REPAINT);
        assert!(pace.flooded());
        // The frame that draws it comes a flood's repaint later, and files all
        // that waited meanwhile.
        assert_eq!(pace.budget(), FLOOD_BUDGET);
        // The flood goes on: the next wake comes while that frame files, more than
        // FLOOD_WAKES after the wake before, and is still drawn a second later.
        let frame = first + FLOOD_REPAINT;
        pace.frame(frame);
        let next = frame + Duration::from_millis(5);
        assert!(next - first > FLOOD_WAKES);
        assert_eq!(pace.wake(next), FLOOD_REPAINT);
        pace.filed(12_000);
        assert_eq!(pace.wake(next + Duration::from_millis(30)), FLOOD_REPAINT);
        assert!(pace.flooded());
        // After a quiet spell the next event is news again.
        let frame = next + FLOOD_REPAINT;
        pace.frame(frame);
        pace.filed(3_000);
        assert_eq!(pace.wake(frame + FLOOD_WAKES), NEWS_REPAINT);
        assert!(!pace.flooded());
        assert_eq!(pace.budget(), FRAME_BUDGET);
    }

    #[test]
    fn hooks_sent_by_hand_a_few_a_second_are_each_drawn_at_once() {
        let pace = Pace::default();
        let mut at = Instant::now();
        for _ in 0..5 {
            assert_eq!(pace.wake(at), NEWS_REPAINT);
            pace.frame(at + NEWS_REPAINT);
            pace.filed(1);
            at += Duration::from_millis(300);
        }
        assert!(!pace.flooded());
    }
}

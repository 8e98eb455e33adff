//! The simulation player every widget shares: a model's run with play/pause, step, step back, scrubbing,
//! speed, reset and seed; the figure wrapper with focus-scoped keyboard shortcuts; narration; and the table
//! view toggle. Widgets add their own buttons and decide what to draw.
//!
//! Stepping back and scrubbing are exact: the run is re-derived from the seed and the reader's recorded actions
//! by [`sim::Replay`], never approximated.

mod controls;
mod figure;
mod frames;
mod inputs;
mod link;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use sim::{Model, Replay, Salience, Time};
use yew::prelude::*;

use crate::share::{from_link, restored_notice, ActionToken, FromLink, Pairs, Params, RunLink, Shareable};

pub use controls::{parse_seed, seconds as controls_seconds, PlayerControls, PlayerControlsProps};
pub use figure::{Later, Narration, SimFigure, TableToggle};
pub use frames::FrameLoop;
pub use inputs::{Choice, Slider};
pub use link::{link_address, settings_pairs, CopyLink};

/// Simulated milliseconds per real millisecond at 1× speed, for figures of messages crossing a network: a message
/// that takes 50 ms crosses the screen in an eighth of a second; 0.25× slows it to half a second. Figures whose
/// story spans tens of seconds (a failover) choose a faster clock in their [`PlayerSetup`].
pub const SIM_MS_PER_REAL_MS: f64 = 0.4;

/// How a widget's run is played.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlayerSetup {
    /// No event after this is processed; the scrubber spans 0..=horizon.
    pub horizon: Time,
    pub default_seed: u64,
    /// Simulated milliseconds per real millisecond at 1×.
    pub sim_ms_per_real_ms: f64,
}
/// With reduced motion the run advances in jumps of this much real time instead of every frame.
pub const REDUCED_MOTION_STEP_REAL_MS: f64 = 700.0;
pub const SPEEDS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0];

/// What moved the run last, so the narration can say the right thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastMove {
    /// Playing, scrubbing or resetting: narrate the latest key event.
    Flow,
    /// A single step forward or back: narrate exactly the entry now at the cursor.
    Step,
}

/// Builds a run's initial model from a seed; swappable, so settings can reshape the run.
type Factory<M> = Rc<RefCell<Rc<dyn Fn(u64) -> M>>>;

/// A run of model `M` and the player's settings. Cheap to clone: all clones share one run.
pub struct Player<M: Model + 'static> {
    replay: Rc<RefCell<Replay<M>>>,
    /// Builds the initial model from a seed. Replaced when the reader changes a setting that shapes the run.
    make: Factory<M>,
    refresh: UseForceUpdateHandle,
    pub playing: UseStateHandle<bool>,
    pub speed: UseStateHandle<f64>,
    pub seed: UseStateHandle<u64>,
    last_move: Rc<Cell<LastMove>>,
    on_first_use: Callback<()>,
}

impl<M: Model + 'static> Clone for Player<M> {
    fn clone(&self) -> Self {
        Player {
            replay: self.replay.clone(),
            make: self.make.clone(),
            refresh: self.refresh.clone(),
            playing: self.playing.clone(),
            speed: self.speed.clone(),
            seed: self.seed.clone(),
            last_move: self.last_move.clone(),
            on_first_use: self.on_first_use.clone(),
        }
    }
}

/// Creates a player for model `M`. `make` builds the initial model from a seed; `horizon` bounds the run;
/// `on_first_use` fires when the reader first acts on the simulation (for progress).
#[hook]
pub fn use_player<M, F>(make: F, setup: PlayerSetup, on_first_use: Callback<()>) -> Player<M>
where
    M: Model + 'static,
    F: Fn(u64) -> M + 'static,
{
    let make: Factory<M> = {
        let make: Rc<dyn Fn(u64) -> M> = Rc::new(make);
        (*use_memo((), move |_| Rc::new(RefCell::new(make)))).clone()
    };
    let replay = {
        let make = make.borrow().clone();
        use_mut_ref(move || Replay::new(make(setup.default_seed), setup.horizon))
    };
    let player = Player {
        replay,
        make,
        refresh: use_force_update(),
        playing: use_state(|| false),
        speed: use_state(|| 1.0),
        seed: use_state(|| setup.default_seed),
        last_move: (*use_memo((), |_| Rc::new(Cell::new(LastMove::Flow)))).clone(),
        on_first_use,
    };
    // The animation loop exists only while playing, and is cancelled when paused or unmounted.
    {
        let player = player.clone();
        use_effect_with((*player.playing, *player.speed), move |&(playing, speed)| {
            let frames = playing.then(|| {
                let reduced = prefers_reduced_motion();
                let mut carry_ms = 0.0;
                FrameLoop::start(move |dt_real_ms| {
                    // A backgrounded tab delivers one huge frame; do not jump the run forward by minutes.
                    let dt_real_ms = dt_real_ms.min(100.0);
                    carry_ms += dt_real_ms;
                    let due = if reduced { carry_ms >= REDUCED_MOTION_STEP_REAL_MS } else { true };
                    if !due {
                        return true;
                    }
                    let rate = speed * setup.sim_ms_per_real_ms.max(1e-6);
                    let whole_ms = (carry_ms * rate).floor();
                    carry_ms -= whole_ms / rate;
                    let at_end = {
                        let mut replay = player.replay.borrow_mut();
                        let target = replay.now() + whole_ms as u64;
                        replay.seek(target);
                        replay.now() >= replay.horizon()
                    };
                    player.last_move.set(LastMove::Flow);
                    player.refresh.force_update();
                    if at_end {
                        player.playing.set(false);
                    }
                    !at_end
                })
            });
            move || drop(frames)
        });
    }
    player
}

/// Reads the widget's shared link once, when it mounts: the settings to start from (`fallback` when there is no
/// link), the run to rebuild and the notices to show.
#[hook]
pub fn use_link<S, A, F>(link: &Option<Rc<Params>>, default_seed: u64, fallback: F) -> Rc<FromLink<S, A>>
where
    S: Shareable + 'static,
    A: ActionToken + 'static,
    F: FnOnce() -> S,
{
    let link = link.clone();
    use_memo((), move |_| from_link(link.as_deref(), default_seed, fallback))
}

/// Rebuilds, once after the first render, the run a shared link describes, and gives the notices to show: what
/// the link's settings needed and what its run did (see [`Player::restore`]).
#[hook]
pub fn use_link_run<M, S>(player: &Player<M>, linked: &Rc<FromLink<S, M::Action>>) -> Rc<Vec<String>>
where
    M: Model + 'static,
    M::Action: 'static,
    S: 'static,
{
    let shown = use_state(|| Rc::new(linked.notices.clone()));
    {
        let (player, shown, run) = (player.clone(), shown.clone(), linked.run.clone());
        use_effect_with((), move |_| {
            if let Some(more) = run.and_then(|run| player.restore(run)) {
                let mut all = (**shown).clone();
                all.push(more);
                shown.set(Rc::new(all));
            }
        });
    }
    (*shown).clone()
}

/// The notices a link produced, one line each. A polite live region rather than `role="status"`: the figure's
/// one status is its narration, which readers (and tests) find by that role.
pub fn link_notices(notices: &[String]) -> Html {
    html! {
        <div class="link-notices" aria-live="polite">
            { for notices.iter().map(|n| html! { <p class="notice link-notice">{ n.clone() }</p> }) }
        </div>
    }
}

/// Whether a CSS media query matches now, updated when it changes (window resized, phone rotated).
#[hook]
pub fn use_media_query(query: &'static str) -> bool {
    let list = use_memo(query, |q| web_sys::window().and_then(|w| w.match_media(q).ok().flatten()));
    let matches = use_state(|| list.as_ref().as_ref().is_some_and(|l| l.matches()));
    {
        let matches = matches.clone();
        use_effect_with(list, move |list| {
            let listener = list.as_ref().as_ref().map(|l| {
                let target = l.clone();
                gloo_events::EventListener::new(l, "change", move |_| matches.set(target.matches()))
            });
            move || drop(listener)
        });
    }
    *matches
}

/// A number unique on this page, for element ids: a page may hold several players.
pub(crate) fn unique_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .is_some_and(|m| m.matches())
}

impl<M: Model + 'static> Player<M> {
    /// Reads the run.
    pub fn with<R>(&self, f: impl FnOnce(&Replay<M>) -> R) -> R {
        f(&self.replay.borrow())
    }

    fn changed(&self, how: LastMove) {
        self.last_move.set(how);
        self.refresh.force_update();
    }

    pub fn last_move(&self) -> LastMove {
        self.last_move.get()
    }

    /// Applies a reader action at the current moment (forgetting any undone future).
    pub fn act(&self, action: M::Action) {
        self.on_first_use.emit(());
        self.replay.borrow_mut().act(action);
        self.changed(LastMove::Step);
    }

    pub fn toggle(&self) {
        self.on_first_use.emit(());
        let at_end = self.with(|r| r.now() >= r.horizon());
        if at_end && !*self.playing {
            // Play at the end starts over, as a video player does.
            self.replay.borrow_mut().seek(Time::ZERO);
        }
        self.playing.set(!*self.playing);
        self.changed(LastMove::Flow);
    }

    pub fn step_forward(&self) {
        self.on_first_use.emit(());
        self.playing.set(false);
        self.replay.borrow_mut().step_forward();
        self.changed(LastMove::Step);
    }

    pub fn step_back(&self) {
        self.on_first_use.emit(());
        self.playing.set(false);
        self.replay.borrow_mut().step_back();
        self.changed(LastMove::Step);
    }

    pub fn seek_ms(&self, ms: u64) {
        self.on_first_use.emit(());
        self.replay.borrow_mut().seek(Time::from_ms(ms));
        self.changed(LastMove::Flow);
    }

    pub fn set_speed(&self, speed: f64) {
        self.speed.set(speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]));
    }

    /// Back to the start with the current seed, forgetting the reader's actions.
    pub fn reset(&self) {
        self.playing.set(false);
        self.replay.borrow_mut().reset();
        self.changed(LastMove::Flow);
    }

    /// A new run from `seed`.
    pub fn set_seed(&self, seed: u64) {
        self.playing.set(false);
        let horizon = self.with(|r| r.horizon());
        let make = self.make.borrow().clone();
        *self.replay.borrow_mut() = Replay::new(make(seed), horizon);
        self.seed.set(seed);
        self.changed(LastMove::Flow);
    }

    /// A new run, same seed, from a new factory: for settings that shape the whole run (mode, latencies,
    /// number of nodes). The reader's earlier actions are forgotten, since they belonged to another system.
    pub fn rebuild(&self, make: impl Fn(u64) -> M + 'static) {
        *self.make.borrow_mut() = Rc::new(make);
        self.set_seed(*self.seed);
    }

    /// The line the narration should read now: the entry just stepped over, or the latest key event.
    pub fn narration(&self) -> String {
        self.with(|replay| {
            let events = replay.model().trace().events();
            let line = match self.last_move() {
                LastMove::Step => events.last(),
                LastMove::Flow => events.iter().rev().find(|e| e.salience == Salience::Key),
            };
            match line {
                Some(e) => format!("{}: {}", e.at, e.text),
                None => "Nothing has happened yet.".to_owned(),
            }
        })
    }

    /// The run as a link carries it (seed, actions, position); `None` if an action cannot be written in a link.
    pub fn run_link(&self) -> Option<RunLink<M::Action>>
    where
        M::Action: ActionToken,
    {
        self.with(|replay| RunLink::of(*self.seed, replay, self.last_move() == LastMove::Step))
    }

    /// What "Copy link" writes for this player: `settings` (the widget's, as they are now), then the run.
    pub fn link_pairs<S: Shareable + 'static>(&self, settings: S) -> Callback<(), Option<Pairs>>
    where
        M::Action: ActionToken,
    {
        let player = self.clone();
        Callback::from(move |_: ()| {
            let mut pairs = Vec::new();
            settings.write(&mut pairs);
            player.run_link()?.write(&mut pairs);
            Some(pairs)
        })
    }

    /// Rebuilds the run a link describes, with the current settings, and says what could not be rebuilt.
    pub fn restore(&self, link: RunLink<M::Action>) -> Option<String> {
        self.playing.set(false);
        let horizon = self.with(|r| r.horizon());
        let make = self.make.borrow().clone();
        let mut replay = Replay::new(make(link.seed), horizon);
        let restored = replay.restore(link.actions, link.cursor, link.at);
        *self.replay.borrow_mut() = replay;
        self.seed.set(link.seed);
        self.changed(if link.stepped { LastMove::Step } else { LastMove::Flow });
        restored_notice(restored)
    }

    /// Props for the shared controls.
    pub fn controls(&self) -> PlayerControlsProps {
        let (now_ms, horizon_ms, at_start, at_end) =
            self.with(|r| (r.now().as_ms(), r.horizon().as_ms(), r.cursor() == 0, r.at_end()));
        let p = self.clone();
        let on_toggle = Callback::from(move |_| p.toggle());
        let p = self.clone();
        let on_step = Callback::from(move |_| p.step_forward());
        let p = self.clone();
        let on_back = Callback::from(move |_| p.step_back());
        let p = self.clone();
        let on_seek = Callback::from(move |ms| p.seek_ms(ms));
        let p = self.clone();
        let on_speed = Callback::from(move |s| p.set_speed(s));
        let p = self.clone();
        let on_reset = Callback::from(move |_| p.reset());
        let p = self.clone();
        let on_seed = Callback::from(move |s| p.set_seed(s));
        PlayerControlsProps {
            playing: *self.playing,
            speed: *self.speed,
            seed: *self.seed,
            now_ms,
            horizon_ms,
            at_start,
            at_end,
            on_toggle,
            on_step,
            on_back,
            on_seek,
            on_speed,
            on_reset,
            on_seed,
        }
    }

    /// Keyboard shortcuts for the figure: space plays or pauses, arrows step. Keys pressed while a control
    /// inside the figure has focus keep their native meaning (space presses a button, arrows move a slider).
    pub fn on_key(&self) -> Callback<KeyboardEvent> {
        let p = self.clone();
        Callback::from(move |e: KeyboardEvent| {
            let in_control = e
                .target_dyn_into::<web_sys::Element>()
                .map(|t| matches!(t.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "A" | "SUMMARY"))
                .unwrap_or(false);
            if in_control || e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            match e.key().as_str() {
                " " | "k" => {
                    e.prevent_default();
                    p.toggle();
                }
                "ArrowRight" | "l" => {
                    e.prevent_default();
                    p.step_forward();
                }
                "ArrowLeft" | "j" => {
                    e.prevent_default();
                    p.step_back();
                }
                _ => {}
            }
        })
    }
}

//! What a simulation figure shows, as plain data in logical units (the scene's own width and height).

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub const fn new(x: f64, y: f64) -> Point {
        Point { x, y }
    }

    /// The point a fraction `t` (clamped to 0..=1) of the way from `self` to `to`.
    pub fn lerp(self, to: Point, t: f64) -> Point {
        let t = t.clamp(0.0, 1.0);
        Point::new(self.x + (to.x - self.x) * t, self.y + (to.y - self.y) * t)
    }
}

/// What a node is in the system; decides its shape and role word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    Leader,
    Follower,
    Recovering,
    Client,
    Monitor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Up,
    Down,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeGlyph {
    pub at: Point,
    pub glyph: Glyph,
    pub health: Health,
    /// Short name drawn large: "n1", "client".
    pub name: String,
    /// One short line under the role word: "LSN 42", "reads 17".
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotKind {
    Read,
    Write,
    ReplyOk,
    ReplyError,
    Replication,
    Heartbeat,
    Control,
}

/// A message in flight, at its current position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    pub at: Point,
    pub kind: DotKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStyle {
    /// A connection in use (client to node, primary to replica).
    Solid,
    /// A connection that exists but is idle or secondary (heartbeats).
    Faint,
    /// A connection that is broken (to a node that is down).
    Broken,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    pub from: Point,
    pub to: Point,
    pub style: LinkStyle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Muted,
    Good,
    Bad,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    Left,
    #[default]
    Center,
    Right,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Caption {
    pub at: Point,
    pub text: String,
    pub tone: Tone,
    /// Drawn larger and bold (a headline figure such as the availability).
    pub strong: bool,
    pub align: Align,
}

/// A shaded stretch of a lane on a time axis (a phase of a failover, a period of write downtime).
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub tone: Tone,
    /// Diagonal hatching on top of the tint: marks time the system was unavailable, without relying on colour.
    pub hatched: bool,
    /// Drawn inside the band when it is wide enough.
    pub label: String,
}

/// A whole figure, painted back to front: bands, links, nodes, messages, captions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub bands: Vec<Band>,
    pub links: Vec<Link>,
    pub nodes: Vec<NodeGlyph>,
    pub dots: Vec<Dot>,
    pub captions: Vec<Caption>,
}

/// Node boxes are this size in logical units; layouts space nodes with it.
pub const NODE_WIDTH: f64 = 104.0;
pub const NODE_HEIGHT: f64 = 60.0;
pub const CLIENT_RADIUS: f64 = 30.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerp_clamps_to_the_segment() {
        let a = Point::new(0.0, 0.0);
        let b = Point::new(10.0, 20.0);
        assert_eq!(a.lerp(b, 0.5), Point::new(5.0, 10.0));
        assert_eq!(a.lerp(b, 2.0), b);
        assert_eq!(a.lerp(b, -1.0), a);
    }
}

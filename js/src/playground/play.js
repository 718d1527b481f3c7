// The play loop: while playing, frames are asked of the kernel ahead (AHEAD at a time), so the
// kernel trains the next one while this one travels and paints; pausing waits for at most the
// frames already asked for.

export const AHEAD = 2;

export class PlayLoop {
  /** `send(msg)`: to the kernel; `onChange(playing)`: the Play button follows. */
  constructor(send, onChange) {
    this.send = send;
    this.onChange = onChange;
    this.playing = false;
    this.tick = 0;       // the last frame asked for
    this.answered = 0;   // the last frame the kernel sent
  }

  set(on) {
    this.playing = on;
    this.onChange(on);
  }

  /** Play or pause. */
  toggle() {
    if (this.playing) {
      this.set(false);
      this.send({ type: "pause" });
    } else {
      this.set(true);
      this.send({ type: "play" });
      this.answered = this.tick;
      this.ask();
    }
  }

  /** A frame came: the kernel's status says which (`tick`). */
  frame(tick) {
    if (this.playing && tick > this.answered) {
      this.answered = tick;
      this.ask();
    }
  }

  ask() {
    while (this.playing && this.tick - this.answered < AHEAD) {
      this.tick += 1;
      this.send({ type: "tick", tick: this.tick });
    }
  }
}

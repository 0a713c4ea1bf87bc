package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void finish_logMode_printsOneCompleteLine() {
    StringWriter w = new StringWriter();
    Progress p = new Progress(new PrintWriter(w), "eval", 3, true, false);
    p.step();
    p.step();
    p.step();
    p.finish();
    String out = w.toString();
    assertTrue(out.endsWith("\n"), out);
    assertFalse(out.contains("\r"), "no carriage returns in logs: " + out);
    String last = out.lines().reduce((a, b) -> b).orElseThrow();
    assertTrue(last.startsWith("[eval] 3/3 100%"), last);
    assertTrue(last.contains(" in "), last);
  }

  @Test
  void finish_terminalMode_redrawsInPlace() {
    StringWriter w = new StringWriter();
    Progress p = new Progress(new PrintWriter(w), "eval", 2, true, true);
    p.step();
    p.step();
    p.finish();
    assertTrue(w.toString().startsWith("\r[eval] 2/2 100%"), w.toString());
  }

  @Test
  void disabled_printsNothing() {
    StringWriter w = new StringWriter();
    Progress p = new Progress(new PrintWriter(w), "eval", 2, false, false);
    p.step();
    p.finish();
    assertEquals("", w.toString());
  }
}

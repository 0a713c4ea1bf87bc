package dev.parapet.guard.onnx.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NativeInitThreadTest {
  @Test
  void stack_growsWithTheCommandLine() {
    assertEquals(NativeInitThread.BASE_BYTES, NativeInitThread.stackBytes(-1));
    assertEquals(NativeInitThread.BASE_BYTES + 10_000 * 512L, NativeInitThread.stackBytes(10_000));
    // 2 MB, Linux's usual limit for a whole command line: about 1 GB of address space, touched only as needed
    assertTrue(NativeInitThread.stackBytes(2 << 20) > (2L << 20) * 256);
  }

  @Test
  void commandLineLength_onLinux_isThisProcesssCommandLine() {
    long n = NativeInitThread.commandLineLength();
    if (System.getProperty("os.name").toLowerCase().contains("linux")) {
      assertTrue(n > "java".length(), "read " + n + " bytes of /proc/self/cmdline");
    } else {
      assertEquals(-1, n);
    }
  }

  @Test
  void call_runsOnAnotherThreadAndReturnsItsResult() {
    Thread caller = Thread.currentThread();
    Thread ran = NativeInitThread.call("t", Thread::currentThread);
    assertNotSame(caller, ran);
    assertEquals("t", ran.getName());
    assertTrue(ran.isDaemon());
  }

  @Test
  void call_rethrowsErrorsAndRuntimeExceptionsAsTheyAre() {
    UnsatisfiedLinkError link = new UnsatisfiedLinkError("no onnxruntime in java.library.path");
    assertSame(link, assertThrows(UnsatisfiedLinkError.class, () -> NativeInitThread.call("t", () -> {
      throw link;
    })));
    IllegalArgumentException bad = new IllegalArgumentException("bad");
    assertSame(bad, assertThrows(IllegalArgumentException.class, () -> NativeInitThread.call("t", () -> {
      throw bad;
    })));
    java.io.IOException io = new java.io.IOException("disk");
    assertSame(io, assertThrows(IllegalStateException.class, () -> NativeInitThread.call("t", () -> {
      throw io;
    })).getCause());
  }

  @Test
  void call_interruptedCaller_waitsForTheWorkThenKeepsItsInterruptFlag() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    String[] result = new String[1];
    boolean[] flag = new boolean[1];
    Thread caller = new Thread(() -> {
      result[0] = NativeInitThread.call("t", () -> {
        started.countDown();
        release.await();
        return "done";
      });
      flag[0] = Thread.currentThread().isInterrupted();
    });
    caller.start();
    assertTrue(started.await(10, TimeUnit.SECONDS));
    caller.interrupt();
    release.countDown();
    caller.join(10_000);
    assertEquals("done", result[0], "the caller gave up on the initialisation when interrupted");
    assertTrue(flag[0], "the caller's interrupt flag was lost");
  }
}

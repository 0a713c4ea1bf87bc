package dev.parapet.guard.text;

import com.ibm.icu.text.SpoofChecker;

/**
 * The TR39 confusables skeleton from ICU4J, an optional dependency of guard-core: without it on the classpath
 * the skeleton view is skipped. Thread-safe: the SpoofChecker is immutable once built.
 */
final class Skeleton {
  static final boolean AVAILABLE = present();

  private Skeleton() {}

  private static boolean present() {
    try {
      Class.forName("com.ibm.icu.text.SpoofChecker", false, Skeleton.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Lowercased skeleton, so "раypal" in Cyrillic and Latin compare alike. */
  static String of(String text) {
    return Holder.CHECKER.getSkeleton(text).toLowerCase(java.util.Locale.ROOT);
  }

  private static final class Holder {
    static final SpoofChecker CHECKER = new SpoofChecker.Builder().build();
  }
}

package dev.parapet.guard;

/** The outcome of running classifier work: a value, or a failure kind and error. Immutable. */
final class Attempt<T> {
  final T value;
  final Failure.Kind kind;
  final Throwable error;

  private Attempt(T value, Failure.Kind kind, Throwable error) {
    this.value = value;
    this.kind = kind;
    this.error = error;
  }

  static <T> Attempt<T> of(T value) {
    return new Attempt<>(value, null, null);
  }

  static <T> Attempt<T> failed(Failure.Kind kind, Throwable error) {
    return new Attempt<>(null, kind, error);
  }

  boolean ok() {
    return kind == null;
  }
}

package dev.parapet.guard.text;

import dev.parapet.guard.Note;
import dev.parapet.guard.Target;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Adds the input notes the policy reads to a classifier's scores: {@link Note.Kind#TOKEN_POOR} when the judged turn
 * has nothing to judge ({@link TokenPoor}), else {@code "language: unsupported (xx)"} when the classifier declares
 * languages and the judged turn is clearly in another ({@link LanguageCheck}). The scores themselves are
 * unchanged, so a policy sees both. Streaming: an incremental session's scores get the notes of the response so
 * far. Thread-safe as its delegate is.
 */
final class NotingClassifier implements Classifier {
  private final Classifier delegate;
  private final Set<String> languages;

  NotingClassifier(Classifier delegate) {
    this.delegate = delegate;
    ClassifierInfo info = delegate.info();
    this.languages = info == null ? Set.of() : info.languages(); // a null info is the Guard's error to report
  }

  @Override
  public ClassifierInfo info() {
    return delegate.info();
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    return noted(delegate.classify(request), request.conversation().last().text(),
        request.conversation().target());
  }

  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    List<Scores> s = delegate.classifyBatch(requests);
    if (s == null || s.size() != requests.size()) {
      return s; // the Guard reports the wrong count as a classifier error
    }
    List<Scores> out = new ArrayList<>(s.size());
    for (int i = 0; i < s.size(); i++) {
      ClassificationRequest r = requests.get(i);
      out.add(noted(s.get(i), r.conversation().last().text(), r.conversation().target()));
    }
    return out;
  }

  /** The note for {@code text} judged as {@code target}, or null. */
  Note note(String text, Target target) {
    if (TokenPoor.test(text, target == Target.PROMPT)) {
      return Note.of(Note.Kind.TOKEN_POOR);
    }
    return LanguageCheck.unsupported(text, languages)
        .map(l -> Note.of(Note.Kind.LANGUAGE_UNSUPPORTED, l)).orElse(null);
  }

  private Scores noted(Scores s, String text, Target target) {
    if (s == null) {
      return null; // the Guard reports it
    }
    Note note = note(text, target);
    return note == null ? s : s.toBuilder().note(note).build();
  }

  @Override
  public Optional<IncrementalClassifier> incremental() {
    return delegate.incremental().map(ic -> request -> new NotingSession(ic.open(request)));
  }

  @Override
  public void close() {
    delegate.close();
  }

  /** Keeps the response so far (bounded to what the checks read) to note its scores. Not thread-safe. */
  private final class NotingSession implements IncrementalClassifier.Session {
    private final IncrementalClassifier.Session inner;
    private final StringBuilder head = new StringBuilder();
    private final StringBuilder tail = new StringBuilder();

    NotingSession(IncrementalClassifier.Session inner) {
      this.inner = inner;
    }

    @Override
    public void append(String responseDelta) {
      inner.append(responseDelta);
      // the language check reads at most the first and last SAMPLE_CHARS / 2; keep only those
      int half = LanguageCheck.SAMPLE_CHARS / 2;
      int toHead = Math.min(responseDelta.length(), Math.max(0, half - head.length()));
      if (toHead > 0 && Character.isHighSurrogate(responseDelta.charAt(toHead - 1))) {
        toHead--;
      }
      head.append(responseDelta, 0, toHead);
      tail.append(responseDelta, toHead, responseDelta.length());
      if (tail.length() > 2 * half) {
        int cut = tail.length() - half;
        if (Character.isLowSurrogate(tail.charAt(cut))) {
          cut++;
        }
        tail.delete(0, cut);
      }
    }

    @Override
    public Scores score() {
      return noted(inner.score(), head.length() + tail.length() == 0 ? "" : head + " " + tail, Target.RESPONSE);
    }

    @Override
    public long committedTokens() {
      return inner.committedTokens();
    }

    @Override
    public void close() {
      inner.close();
    }
  }
}

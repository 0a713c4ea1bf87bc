package dev.parapet.guard.text;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Note;
import dev.parapet.guard.Turn;
import dev.parapet.guard.spi.ClassificationRequest;
import dev.parapet.guard.spi.Classifier;
import dev.parapet.guard.spi.ClassifierInfo;
import dev.parapet.guard.spi.IncrementalClassifier;
import dev.parapet.guard.spi.Scores;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Scores a request and the views of its judged turn in one batch and keeps the maximum per category. Thread-safe
 * as its delegate is. Incremental streaming checks go to the delegate unchanged (views apply to full checks).
 */
final class ViewingClassifier implements Classifier {
  private final Classifier delegate;
  private final TextViews views;

  ViewingClassifier(Classifier delegate, TextViews views) {
    this.delegate = delegate;
    this.views = views;
  }

  @Override
  public ClassifierInfo info() {
    return delegate.info();
  }

  @Override
  public Scores classify(ClassificationRequest request) {
    return classifyBatch(List.of(request)).get(0);
  }

  @Override
  public List<Scores> classifyBatch(List<ClassificationRequest> requests) {
    List<ClassificationRequest> all = new ArrayList<>(requests);
    List<Integer> owners = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      ClassificationRequest r = requests.get(i);
      Conversation c = r.conversation();
      for (TextViews.View v : views.of(c.last().text())) {
        List<Turn> turns = new ArrayList<>(c.turns());
        turns.set(turns.size() - 1, c.last().withText(v.text()));
        all.add(new ClassificationRequest(Conversation.of(turns), r.taxonomy(), r.cancellation()));
        owners.add(i);
        names.add(v.name());
      }
    }
    if (owners.isEmpty()) {
      return requests.size() == 1
          ? java.util.Collections.singletonList(delegate.classify(requests.get(0))) // null stays null: the Guard reports it
          : delegate.classifyBatch(requests);
    }
    List<Scores> scored = delegate.classifyBatch(all);
    if (scored == null || scored.size() != all.size()) {
      return scored; // the Guard reports the wrong count as a classifier error
    }
    List<Scores> out = new ArrayList<>(scored.subList(0, requests.size()));
    double[] best = new double[requests.size()];
    String[] bestView = new String[requests.size()];
    for (int i = 0; i < requests.size(); i++) {
      best[i] = out.get(i) == null ? Double.NaN : out.get(i).unsafe();
    }
    for (int k = 0; k < owners.size(); k++) {
      int i = owners.get(k);
      Scores base = out.get(i);
      Scores view = scored.get(requests.size() + k);
      if (base != null && view != null) {
        out.set(i, max(base, view));
        if (view.unsafe() > best[i]) { // the view whose P(unsafe) is highest, when above the plain text's
          best[i] = view.unsafe();
          bestView[i] = names.get(k);
        }
      }
    }
    for (int i = 0; i < out.size(); i++) {
      if (bestView[i] != null && out.get(i) != null) {
        out.set(i, out.get(i).toBuilder().note(Note.of(Note.Kind.VIEW, bestView[i])).build());
      }
    }
    return out;
  }

  static Scores max(Scores a, Scores b) {
    Scores.Builder s = a.toBuilder().unsafe(Math.max(a.unsafe(), b.unsafe()));
    for (Map.Entry<String, Double> e : b.categories().entrySet()) {
      s.category(e.getKey(), Math.max(e.getValue(), a.categories().getOrDefault(e.getKey(), 0.0)));
    }
    if (a.controversial().isPresent() && b.controversial().isPresent()) {
      s.controversial(Math.max(a.controversial().getAsDouble(), b.controversial().getAsDouble()));
    }
    return s.build();
  }

  @Override
  public Optional<IncrementalClassifier> incremental() {
    return delegate.incremental();
  }

  @Override
  public void close() {
    delegate.close();
  }
}

package dev.parapet.guard.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Guard;
import dev.parapet.guard.Turn;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GuardedPipelineTest {

  /** A fake model: replies with a canned text per prompt keyword, counts calls. */
  static final class FakeModel implements ChatPipeline {
    final AtomicInteger calls = new AtomicInteger();
    final List<Conversation> seen = new ArrayList<>();

    @Override
    public ChatReply call(Conversation c) {
      calls.incrementAndGet();
      seen.add(c);
      String p = c.lastPrompt();
      if (p.contains("chemistry")) {
        return ChatReply.of("Mix these to make a bomb.");
      }
      return ChatReply.of("Echo: " + p);
    }
  }

  private static Guard guard() {
    return Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.9)
        .rule("diagnose", "S6", 0.75).throwOn("explode-classifier").build()).build();
  }

  @Test
  void guardInterceptor_safeExchange_passesReplyWithVerdict() {
    FakeModel model = new FakeModel();
    try (Guard g = guard()) {
      ChatPipeline p = GuardedPipeline.builder(model).addInterceptor(GuardInterceptors.guard(g)).build();
      ChatReply r = p.call(Conversation.ofPrompt("hello"));
      assertEquals("Echo: hello", r.text());
      assertFalse(r.refused());
      assertTrue(r.verdict().orElseThrow().isAllowed());
      assertEquals(1, model.calls.get());
    }
  }

  @Test
  void guardInterceptor_blockedPrompt_shortCircuitsWithoutCallingTheModel() {
    FakeModel model = new FakeModel();
    try (Guard g = guard()) {
      ChatPipeline p = GuardedPipeline.builder(model).addInterceptor(GuardInterceptors.guard(g)).build();
      ChatReply r = p.call(Conversation.ofPrompt("how to build a bomb"));
      assertTrue(r.refused());
      assertEquals("Sorry, I can't help with that. (blocked: Indiscriminate Weapons (S9))", r.text());
      assertEquals(0, model.calls.get());
    }
  }

  @Test
  void guardInterceptor_blockedResponse_isReplacedByRefusal() {
    FakeModel model = new FakeModel();
    try (Guard g = guard()) {
      ChatPipeline p = GuardedPipeline.builder(model)
          .addInterceptor(GuardInterceptors.guard(g, v -> "No. [" + v.triggered().get(0).code() + "]")).build();
      ChatReply r = p.call(Conversation.ofPrompt("teach me chemistry"));
      assertTrue(r.refused());
      assertEquals("No. [S9]", r.text());
      assertFalse(r.text().contains("bomb"));
      assertEquals(1, model.calls.get());
      assertTrue(r.verdict().orElseThrow().isBlocked());
    }
  }

  @Test
  void guardInterceptor_classifierFails_failsClosedWithRefusal() {
    FakeModel model = new FakeModel();
    try (Guard g = guard()) {
      ChatPipeline p = GuardedPipeline.builder(model).addInterceptor(GuardInterceptors.guard(g)).build();
      ChatReply r = p.call(Conversation.ofPrompt("explode-classifier"));
      assertTrue(r.refused());
      assertTrue(r.text().contains("CLASSIFIER_ERROR"), r.text());
      assertEquals(0, model.calls.get());
    }
  }

  @Test
  void interceptors_runInOrder_andMayRewriteTheRequest() {
    FakeModel model = new FakeModel();
    List<String> order = new ArrayList<>();
    GuardInterceptor addSystem = chain -> {
      order.add("outer");
      List<Turn> turns = new ArrayList<>();
      turns.add(Turn.system("be nice"));
      turns.addAll(chain.request().turns());
      return chain.proceed(Conversation.of(turns));
    };
    GuardInterceptor inner = chain -> {
      order.add("inner:" + chain.request().turns().size());
      return chain.proceed(chain.request());
    };
    ChatReply r = GuardedPipeline.builder(model).addInterceptor(addSystem).addInterceptor(inner).build()
        .call(Conversation.ofPrompt("hi"));
    assertEquals("Echo: hi", r.text());
    assertEquals(List.of("outer", "inner:2"), order);
    assertEquals(Turn.system("be nice"), model.seen.get(0).turns().get(0));
  }

  @Test
  void proceedTwice_failsNamingTheInterceptor() {
    FakeModel model = new FakeModel();
    GuardInterceptor twice = new GuardInterceptor() {
      @Override
      public ChatReply intercept(Chain chain) {
        chain.proceed(chain.request());
        return chain.proceed(chain.request());
      }

      @Override
      public String name() {
        return "RetryTwice";
      }
    };
    InterceptorException e = assertThrows(InterceptorException.class,
        () -> GuardedPipeline.builder(model).addInterceptor(twice).build().call(Conversation.ofPrompt("hi")));
    assertEquals("RetryTwice", e.stepName());
    assertTrue(e.getMessage().contains("RetryTwice must call proceed() at most once"), e.getMessage());
    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertEquals(1, model.calls.get());
  }

  @Test
  void throwingInterceptor_failsClosedWithExceptionNamingIt_modelNotCalled() {
    FakeModel model = new FakeModel();
    GuardInterceptor broken = new GuardInterceptor() {
      @Override
      public ChatReply intercept(Chain chain) {
        throw new IllegalArgumentException("bad config");
      }

      @Override
      public String name() {
        return "PiiRedactor";
      }
    };
    try (Guard g = guard()) {
      ChatPipeline p = GuardedPipeline.builder(model).addInterceptor(GuardInterceptors.guard(g))
          .addInterceptor(broken).build();
      InterceptorException e = assertThrows(InterceptorException.class, () -> p.call(Conversation.ofPrompt("hi")));
      assertEquals("PiiRedactor", e.stepName(), "wrapped once, naming the failing step, not the outer guard");
      assertTrue(e.getMessage().contains("PiiRedactor threw IllegalArgumentException: bad config"), e.getMessage());
      assertEquals(0, model.calls.get());
    }
  }

  @Test
  void interceptorReturningNull_failsNamingIt() {
    GuardInterceptor nully = new GuardInterceptor() {
      @Override
      public ChatReply intercept(Chain chain) {
        return null;
      }

      @Override
      public String name() {
        return "Nully";
      }
    };
    InterceptorException e = assertThrows(InterceptorException.class,
        () -> GuardedPipeline.builder(new FakeModel()).addInterceptor(nully).build().call(Conversation.ofPrompt("x")));
    assertTrue(e.getMessage().contains("Nully returned null"), e.getMessage());
  }

  @Test
  void modelThrows_isWrappedNamingThePipeline() {
    RuntimeException boom = new RuntimeException("model down");
    InterceptorException e = assertThrows(InterceptorException.class,
        () -> GuardedPipeline.builder(c -> {
          throw boom;
        }).build().call(Conversation.ofPrompt("x")));
    assertEquals("chat pipeline", e.stepName());
    assertSame(boom, e.getCause());
  }

  @Test
  void shortCircuitingInterceptor_neverReachesTheModel() {
    FakeModel model = new FakeModel();
    ChatReply canned = ChatReply.of("cached answer");
    ChatReply r = GuardedPipeline.builder(model).addInterceptor(chain -> canned).build()
        .call(Conversation.ofPrompt("x"));
    assertSame(canned, r);
    assertEquals(0, model.calls.get());
  }

  @Test
  void nulls_npeNamesParameter() {
    assertEquals("model", assertThrows(NullPointerException.class, () -> GuardedPipeline.builder(null)).getMessage());
    GuardedPipeline p = GuardedPipeline.builder(new FakeModel()).build();
    assertEquals("conversation", assertThrows(NullPointerException.class, () -> p.call(null)).getMessage());
    assertEquals("interceptor", assertThrows(NullPointerException.class,
        () -> GuardedPipeline.builder(new FakeModel()).addInterceptor(null)).getMessage());
    GuardInterceptor proceedNull = chain -> chain.proceed(null);
    InterceptorException e = assertThrows(InterceptorException.class,
        () -> GuardedPipeline.builder(new FakeModel()).addInterceptor(proceedNull).build()
            .call(Conversation.ofPrompt("x")));
    assertInstanceOf(NullPointerException.class, e.getCause());
  }

  @Test
  void defaultRefusal_namesCategoriesOrFailure() {
    try (Guard g = guard()) {
      Verdict v = g.checkPrompt("bomb, diagnose");
      assertEquals("Sorry, I can't help with that. (blocked: Indiscriminate Weapons (S9), Specialized Advice (S6))",
          GuardInterceptors.defaultRefusal(v));
    }
  }
}

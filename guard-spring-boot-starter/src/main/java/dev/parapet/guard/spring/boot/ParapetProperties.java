package dev.parapet.guard.spring.boot;

import dev.parapet.guard.policy.FailureMode;
import dev.parapet.guard.spring.ai.ParapetAdvisor;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code parapet.*} properties. Bound by Spring Boot; every value is checked when the beans are built. */
@ConfigurationProperties("parapet")
public class ParapetProperties {
  /** Whether Parapet's Guard and advisor beans are created. */
  private boolean enabled = true;

  /** Policy spec string, e.g. "default=block@0.5, S6=flag@0.7" (empty: the built-in default policy). */
  private String policy;

  /**
   * Taxonomy preset (llama-guard-3, llama-guard-3-1b, aegis-2.0, ailuminate-1.0) or a taxonomy JSON file path
   * (empty: the model's own taxonomy).
   */
  private String taxonomy;

  /** What a check decides when the classifier fails: closed (BLOCK) or open (ALLOW); overrides the policy's. */
  private FailureMode failMode;

  /** The text users see when a prompt or a response is refused. */
  private String refusalMessage = ParapetAdvisor.DEFAULT_REFUSAL;

  /** Order of the ChatClient advisor (lower runs first). */
  private int advisorOrder = ParapetAdvisor.DEFAULT_ORDER;

  private final Model model = new Model();
  private final Stream stream = new Stream();
  private final Cache cache = new Cache();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getPolicy() {
    return policy;
  }

  public void setPolicy(String policy) {
    this.policy = policy;
  }

  public String getTaxonomy() {
    return taxonomy;
  }

  public void setTaxonomy(String taxonomy) {
    this.taxonomy = taxonomy;
  }

  public FailureMode getFailMode() {
    return failMode;
  }

  public void setFailMode(FailureMode failMode) {
    this.failMode = failMode;
  }

  public String getRefusalMessage() {
    return refusalMessage;
  }

  public void setRefusalMessage(String refusalMessage) {
    this.refusalMessage = refusalMessage;
  }

  public int getAdvisorOrder() {
    return advisorOrder;
  }

  public void setAdvisorOrder(int advisorOrder) {
    this.advisorOrder = advisorOrder;
  }

  public Model getModel() {
    return model;
  }

  public Stream getStream() {
    return stream;
  }

  public Cache getCache() {
    return cache;
  }

  /** {@code parapet.model.*}. */
  public static class Model {
    /**
     * A model export folder (model.onnx, tokenizer.json, parapet-model.json); empty: the embedded default model.
     */
    private Path path;

    /** Device: cpu, cuda or cuda:N. */
    private String device = "cpu";

    public Path getPath() {
      return path;
    }

    public void setPath(Path path) {
      this.path = path;
    }

    public String getDevice() {
      return device;
    }

    public void setDevice(String device) {
      this.device = device;
    }
  }

  /** {@code parapet.stream.*}. */
  public static class Stream {
    /** A streamed response is checked after this many new tokens (chunks). */
    private int checkEvery = 32;

    /** The last N checked tokens stay held until a later check passes. */
    private int holdBack = 0;

    public int getCheckEvery() {
      return checkEvery;
    }

    public void setCheckEvery(int checkEvery) {
      this.checkEvery = checkEvery;
    }

    public int getHoldBack() {
      return holdBack;
    }

    public void setHoldBack(int holdBack) {
      this.holdBack = holdBack;
    }
  }

  /** {@code parapet.cache.*}. */
  public static class Cache {
    /** Result cache entries; 0 turns the cache off. */
    private long maxSize = 10_000;

    public long getMaxSize() {
      return maxSize;
    }

    public void setMaxSize(long maxSize) {
      this.maxSize = maxSize;
    }
  }
}

package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

/**
 * What was evaluated, recorded in metrics.json and the report. Immutable.
 *
 * @param modelId the classifier's id
 * @param taxonomyName the taxonomy's name
 * @param taxonomyHash the taxonomy's content hash
 * @param policySpec the policy as a spec string
 * @param data the data file
 * @param threads worker threads used
 */
public record RunInfo(
    String modelId, String taxonomyName, String taxonomyHash, String policySpec, String data, int threads) {
  public RunInfo {
    requireNonNull(modelId, "modelId");
    requireNonNull(taxonomyName, "taxonomyName");
    requireNonNull(taxonomyHash, "taxonomyHash");
    requireNonNull(policySpec, "policySpec");
    requireNonNull(data, "data");
  }
}

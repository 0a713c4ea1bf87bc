/**
 * The embedded default model's files under {@code dev/parapet/guard/model/default/} (model.onnx,
 * tokenizer.json, parapet-model.json, license and card). No classes: guard-onnx reads the files as resources,
 * which a named module does not encapsulate because {@code default} cannot be a package name.
 */
module dev.parapet.guard.defaultmodel {
}

/// The verbs a kernel starts with. Each group of verbs lives in its own file as `static var all: [Verb]`;
/// add the group here (one line) to make it part of the language, the docs and completion.
extension VerbRegistry {
    public static func standard() -> VerbRegistry {
        let registry = VerbRegistry()
        registry.register(CoreVerbs.all)
        registry.register(LimitsVerbs.all)
        registry.register(ImagingVerbs.all)
        registry.register(TensorVerbs.all)
        registry.register(ModelVerbs.all)
        registry.register(AttributionVerbs.all)
        registry.register(UnderstandingVerbs.all)
        registry.register(SynthesisVerbs.all)
        registry.register(EmbeddingVerbs.all)
        return registry
    }
}

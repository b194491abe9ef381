namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// One slot of the study that solves one problem at a time: its own policy decoder (a fresh sampler over it for every
/// problem) and its own verifier. Lanes run side by side; nothing of one reaches another.
/// </summary>
/// <remarks>
/// Why separate decoders rather than one shared decode batch: the engine's continuous batching gives a call the same
/// tokens as alone but not the same bits (a row's matrix products and attention depend on the rows beside it: 48 of
/// 968 logprobs differ, by up to 3e-6, in <c>ConcurrentStudyTests.Measure_how_far_rows_beside_other_calls_move_from_alone</c>), and which rows share a step depends on timing.
/// A lane's decoder only ever sees one problem's calls, in that problem's own order, so every float is what a
/// sequential run computes (docs/scaling-concurrency.md).
/// </remarks>
/// <param name="NewSampler">Makes the sampler for one problem (a fresh engine: its prefix cache starts empty); disposed after the problem when disposable.</param>
/// <param name="Verifier">The learned process reward model of this lane (called by this lane's problems only).</param>
public sealed record StudyLane(Func<ISampler> NewSampler, IVerifier Verifier);

using TestTimeScaling.Torch;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Training;

/// <summary>
/// The optimization loop both trainers share: AdamW with warm-up and cosine decay, gradient clipping at
/// 1, a dispose scope per step, and a progress report every 25 steps.
/// </summary>
internal static class TrainingLoop
{
    /// <summary>Trains <paramref name="model"/> for <paramref name="schedule"/>'s steps; <paramref name="lossAt"/> builds step i's loss.</summary>
    public static TrainingResult Run(LlamaDecoder model, CosineSchedule schedule, double weightDecay, Func<int, Tensor> lossAt,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        model.train();
        // Frozen parameters (requires_grad off) are left out of the optimizer and the clipping.
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, schedule.PeakLearningRate, beta1: 0.9, beta2: 0.99, weight_decay: weightDecay);
        var losses = new List<double>(schedule.TotalSteps);
        double sinceReport = 0;
        int reported = 0;
        for (int step = 0; step < schedule.TotalSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double lr = schedule.At(step);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            double loss;
            using (NewDisposeScope())
            {
                var lossTensor = lossAt(step);
                optimizer.zero_grad();
                lossTensor.backward();
                nn.utils.clip_grad_norm_(trainable, 1.0);
                optimizer.step();
                loss = lossTensor.item<float>();
            }
            losses.Add(loss);
            sinceReport += loss;
            if ((step + 1) % 25 == 0 || step + 1 == schedule.TotalSteps)
            {
                progress?.Report(new TrainingProgress(step + 1, schedule.TotalSteps, sinceReport / (step + 1 - reported), lr, clock.Elapsed));
                sinceReport = 0;
                reported = step + 1;
            }
        }
        model.eval();
        return new TrainingResult(model, losses, clock.Elapsed);
    }
}

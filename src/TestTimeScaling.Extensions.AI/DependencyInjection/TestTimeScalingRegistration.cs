namespace TestTimeScaling.Extensions.AI;

/// <summary>What <c>services.AddTestTimeScaling(...)</c> registers for <c>UseTestTimeScaling()</c> to build from.</summary>
internal sealed record TestTimeScalingRegistration(ISearchStrategy Strategy, Budget Budget, Action<ScalingChatClientOptions>? Configure);

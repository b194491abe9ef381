namespace TestTimeScaling.Tests.ChatTemplates;

/// <summary>The clock the fixtures were rendered with (reference.py, generate.mjs): 26 Jul 2024 09:05:03, local time.</summary>
internal sealed class FixtureClock : TimeProvider
{
    public static readonly FixtureClock Instance = new();

    public override DateTimeOffset GetUtcNow() => new(2024, 7, 26, 9, 5, 3, TimeSpan.Zero);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}

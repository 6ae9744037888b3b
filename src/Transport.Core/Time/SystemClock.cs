using System.Diagnostics;

namespace Transport.Core.Time;

/// <summary>The real monotonic clock (<see cref="Stopwatch"/>), with its timeline starting when the process first reads it.</summary>
public sealed class SystemClock : IClock
{
    private static readonly long Origin = Stopwatch.GetTimestamp();

    /// <summary>The shared instance.</summary>
    public static SystemClock Instance { get; } = new();

    private SystemClock() { }

    /// <inheritdoc />
    public Instant Now => Instant.FromTicks(Instant.StopwatchToTicks(Stopwatch.GetTimestamp() - Origin));
}

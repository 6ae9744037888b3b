using System.Diagnostics;
using System.Globalization;

namespace Transport.Core.Time;

/// <summary>
/// A point on a monotonic timeline, with 100-nanosecond resolution (the resolution of <see cref="TimeSpan"/> ticks).
/// Instants from different clocks are not comparable; within one clock they only ever move forward.
/// The difference of two instants is a <see cref="TimeSpan"/>.
/// </summary>
public readonly struct Instant : IEquatable<Instant>, IComparable<Instant>
{
    /// <summary>The start of a clock's timeline (a virtual clock starts here).</summary>
    public static readonly Instant Zero = new(0);

    /// <summary>An instant later than any other, handy as "never" for timers.</summary>
    public static readonly Instant MaxValue = new(long.MaxValue);

    private Instant(long ticks) => Ticks = ticks;

    /// <summary>Ticks (100 ns) since the start of the clock's timeline.</summary>
    public long Ticks { get; }

    /// <summary>Microseconds since the start of the clock's timeline.</summary>
    public long TotalMicroseconds => Ticks / 10;

    /// <summary>Creates an instant from ticks (100 ns) since the start of a timeline.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ticks are negative.</exception>
    public static Instant FromTicks(long ticks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ticks);
        return new Instant(ticks);
    }

    /// <summary>Creates an instant from microseconds since the start of a timeline.</summary>
    public static Instant FromMicroseconds(long microseconds) => FromTicks(checked(microseconds * 10));

    /// <summary>Creates an instant from milliseconds since the start of a timeline.</summary>
    public static Instant FromMilliseconds(long milliseconds) => FromTicks(checked(milliseconds * TimeSpan.TicksPerMillisecond));

    /// <summary>The time since <see cref="Zero"/>, as a <see cref="TimeSpan"/>.</summary>
    public TimeSpan SinceZero => new(Ticks);

    /// <summary>The later of two instants.</summary>
    public static Instant Max(Instant a, Instant b) => a.Ticks >= b.Ticks ? a : b;

    /// <summary>The earlier of two instants.</summary>
    public static Instant Min(Instant a, Instant b) => a.Ticks <= b.Ticks ? a : b;

    /// <summary>The instant a duration later; saturates at <see cref="MaxValue"/> and at <see cref="Zero"/>.</summary>
    public static Instant operator +(Instant instant, TimeSpan duration)
    {
        long ticks = instant.Ticks + duration.Ticks;
        if (duration.Ticks > 0 && ticks < instant.Ticks) return MaxValue; // overflow
        return new Instant(Math.Max(0, ticks));
    }

    /// <summary>The instant a duration earlier; saturates at <see cref="Zero"/>.</summary>
    public static Instant operator -(Instant instant, TimeSpan duration) => instant + (-duration);

    /// <summary>The duration from <paramref name="b"/> to <paramref name="a"/> (negative when a is earlier).</summary>
    public static TimeSpan operator -(Instant a, Instant b) => new(a.Ticks - b.Ticks);

#pragma warning disable CS1591 // operators are self-describing
    public static bool operator ==(Instant a, Instant b) => a.Ticks == b.Ticks;
    public static bool operator !=(Instant a, Instant b) => a.Ticks != b.Ticks;
    public static bool operator <(Instant a, Instant b) => a.Ticks < b.Ticks;
    public static bool operator >(Instant a, Instant b) => a.Ticks > b.Ticks;
    public static bool operator <=(Instant a, Instant b) => a.Ticks <= b.Ticks;
    public static bool operator >=(Instant a, Instant b) => a.Ticks >= b.Ticks;
#pragma warning restore CS1591

    /// <inheritdoc />
    public bool Equals(Instant other) => Ticks == other.Ticks;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Instant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Ticks.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(Instant other) => Ticks.CompareTo(other.Ticks);

    /// <summary>Seconds since the start of the timeline, with microsecond precision, e.g. <c>12.000350s</c>.</summary>
    public override string ToString() =>
        Ticks == long.MaxValue ? "never" : (Ticks / (double)TimeSpan.TicksPerSecond).ToString("0.000000", CultureInfo.InvariantCulture) + "s";

    internal static long StopwatchToTicks(long timestamp) =>
        Stopwatch.Frequency == TimeSpan.TicksPerSecond
            ? timestamp
            : (long)(timestamp * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
}

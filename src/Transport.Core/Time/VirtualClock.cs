namespace Transport.Core.Time;

/// <summary>A clock that moves only when told to: the timeline of simulations and tests.</summary>
public sealed class VirtualClock : IClock
{
    /// <summary>Creates a virtual clock at <paramref name="start"/> (default <see cref="Instant.Zero"/>).</summary>
    public VirtualClock(Instant start = default) => Now = start;

    /// <inheritdoc />
    public Instant Now { get; private set; }

    /// <summary>Moves the clock forward by <paramref name="duration"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The duration is negative: time never goes back.</exception>
    public void Advance(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A virtual clock only moves forward.");
        Now += duration;
    }

    /// <summary>Moves the clock to <paramref name="instant"/>; an instant in the past is ignored, so time never goes back.</summary>
    public void AdvanceTo(Instant instant)
    {
        if (instant > Now) Now = instant;
    }
}

namespace Transport.Core.Time;

/// <summary>A source of monotonic time. The protocol core never reads a clock itself: drivers pass <see cref="Instant"/>s in.</summary>
public interface IClock
{
    /// <summary>The current instant on this clock's timeline.</summary>
    Instant Now { get; }
}

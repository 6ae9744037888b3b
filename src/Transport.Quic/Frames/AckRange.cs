namespace Transport.Quic.Frames;

/// <summary>A contiguous range of acknowledged packet numbers, <see cref="Smallest"/> to <see cref="Largest"/> inclusive (RFC 9000 §19.3.1).</summary>
public readonly record struct AckRange
{
    /// <summary>Creates a range.</summary>
    /// <exception cref="ArgumentException"><paramref name="smallest"/> exceeds <paramref name="largest"/>.</exception>
    public AckRange(ulong smallest, ulong largest)
    {
        if (smallest > largest)
            throw new ArgumentException($"An ACK range's smallest packet number ({smallest}) exceeds its largest ({largest}).", nameof(smallest));
        Smallest = smallest;
        Largest = largest;
    }

    /// <summary>The smallest packet number acknowledged by this range.</summary>
    public ulong Smallest { get; }

    /// <summary>The largest packet number acknowledged by this range.</summary>
    public ulong Largest { get; }

    /// <summary>How many packet numbers the range holds.</summary>
    public ulong Count => Largest - Smallest + 1;
}

namespace Transport.Reliable.Ack;

/// <summary>An inclusive range of packet numbers, <see cref="Smallest"/> through <see cref="Largest"/> (RFC 9000 §19.3.1).</summary>
/// <param name="Smallest">The smallest packet number in the range.</param>
/// <param name="Largest">The largest packet number in the range.</param>
public readonly record struct AckRange(long Smallest, long Largest)
{
    /// <summary>How many packet numbers the range holds.</summary>
    public long Count => Largest - Smallest + 1;

    /// <summary>True when <paramref name="packetNumber"/> lies in the range.</summary>
    public bool Contains(long packetNumber) => packetNumber >= Smallest && packetNumber <= Largest;

    /// <summary>The range as <c>[smallest..largest]</c>.</summary>
    public override string ToString() => Smallest == Largest ? $"[{Smallest}]" : $"[{Smallest}..{Largest}]";
}

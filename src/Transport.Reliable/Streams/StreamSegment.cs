namespace Transport.Reliable.Streams;

/// <summary>
/// A piece of a stream handed out by <see cref="SendBuffer"/> for transmission: the bytes at
/// <c>[Offset, Offset + Length)</c>, and whether the frame carries FIN (the end of the stream).
/// A segment may be empty only when it carries FIN alone.
/// </summary>
/// <param name="Offset">Stream offset of the first byte.</param>
/// <param name="Length">Number of bytes.</param>
/// <param name="Fin">True when the segment ends the stream (its end is the final size, RFC 9000 §4.5).</param>
public readonly record struct StreamSegment(long Offset, int Length, bool Fin)
{
    /// <summary>The offset just past the last byte: <see cref="Offset"/> + <see cref="Length"/>.</summary>
    public long End => Offset + Length;
}

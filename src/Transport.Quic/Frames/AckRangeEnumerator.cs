using Transport.Core.Wire;

namespace Transport.Quic.Frames;

/// <summary>
/// Walks the ranges of an <see cref="AckFrame"/> from highest to lowest, decoding each Gap/ACK Range Length pair from
/// the frame's bytes on demand (RFC 9000 §19.3.1). Use with <c>foreach</c>; allocates nothing.
/// </summary>
public ref struct AckRangeEnumerator
{
    private SpanReader _reader;
    private ulong _nextLargest;
    private ulong _firstRange;
    private bool _started;
    private AckRange _current;

    internal AckRangeEnumerator(ulong largestAcknowledged, ulong firstAckRange, ReadOnlySpan<byte> rangeBytes)
    {
        _reader = new SpanReader(rangeBytes);
        _nextLargest = largestAcknowledged;
        _firstRange = firstAckRange;
        _started = false;
        _current = default;
    }

    /// <summary>The current range.</summary>
    public readonly AckRange Current => _current;

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly AckRangeEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next lower range; false after the last.</summary>
    public bool MoveNext()
    {
        if (!_started)
        {
            _started = true;
            _current = new AckRange(_nextLargest - _firstRange, _nextLargest);
            return true;
        }
        // The frame was validated when read, so neither the varints nor the arithmetic can fail here.
        if (_reader.IsEmpty) return false;
        ulong gap = _reader.ReadVarInt();
        ulong length = _reader.ReadVarInt();
        ulong largest = _current.Smallest - gap - 2; // RFC 9000 §19.3.1
        _current = new AckRange(largest - length, largest);
        return true;
    }
}

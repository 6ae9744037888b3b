namespace Transport.Reliable.Ack;

/// <summary>
/// The set of packet numbers received in one packet number space, kept as disjoint, non-adjacent ranges (what an ACK
/// frame reports, RFC 9000 §19.3). Ranges are read largest first: index 0 is the range holding the largest packet number.
/// The number of ranges is bounded; when an insertion would exceed the bound, the lowest range is forgotten and
/// <see cref="Floor"/> rises above it (RFC 9000 §13.2.3: "Maintaining a minimum packet number that increases as ranges are
/// discarded"). Inserting in order, the common case, costs O(1); otherwise O(log n) to find the place plus a shift of at
/// most the bound. Storage starts at a few ranges and doubles up to the bound (an idle connection's spaces hold one or
/// two ranges); it allocates only while growing.
/// </summary>
public sealed class AckRangeSet
{
    /// <summary>The default bound on the number of ranges.</summary>
    public const int DefaultMaxRanges = 64;

    // Ascending: _ranges[0] is the lowest range, _ranges[_count - 1] the highest.
    private AckRange[] _ranges;
    private readonly int _maxRanges;
    private int _count;

    /// <summary>Creates an empty set holding at most <paramref name="maxRanges"/> ranges.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRanges"/> is less than 1.</exception>
    public AckRangeSet(int maxRanges = DefaultMaxRanges)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRanges, 1);
        _maxRanges = maxRanges;
        _ranges = new AckRange[Math.Min(maxRanges, 4)];
    }

    /// <summary>The bound on the number of ranges.</summary>
    public int MaxRanges => _maxRanges;

    /// <summary>The number of ranges held.</summary>
    public int Count => _count;

    /// <summary>True when the set holds no packet number.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>
    /// Packet numbers below this were forgotten (dropped over the bound or by <see cref="RemoveUpTo"/>); the set can no
    /// longer say whether they were received. 0 until something is forgotten.
    /// </summary>
    public long Floor { get; private set; }

    /// <summary>The largest packet number in the set, or -1 when it is empty.</summary>
    public long Largest => _count == 0 ? -1 : _ranges[_count - 1].Largest;

    /// <summary>The smallest packet number in the set, or -1 when it is empty.</summary>
    public long Smallest => _count == 0 ? -1 : _ranges[0].Smallest;

    /// <summary>The range at <paramref name="index"/>, counting from the largest (index 0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside 0..Count-1.</exception>
    public AckRange this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must be in 0..{_count - 1}.");
            return _ranges[_count - 1 - index];
        }
    }

    /// <summary>Adds one packet number.</summary>
    /// <returns>
    /// False when it was already present or lies below <see cref="Floor"/> (a duplicate, or too old to tell). True when it
    /// is new, including the rare case where the set is full and it would form a new lowest range: then it is forgotten at
    /// once and <see cref="Floor"/> rises above it.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The packet number is negative.</exception>
    public bool Add(long packetNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packetNumber);
        if (packetNumber < Floor) return false;
        if (_count == 0)
        {
            _ranges[0] = new AckRange(packetNumber, packetNumber);
            _count = 1;
            return true;
        }

        // Fast path: in order, at or just above the highest range.
        ref AckRange top = ref _ranges[_count - 1];
        if (packetNumber == top.Largest + 1)
        {
            top = top with { Largest = packetNumber };
            return true;
        }
        if (packetNumber > top.Largest + 1)
        {
            Insert(_count, new AckRange(packetNumber, packetNumber));
            return true;
        }

        // i = the first range whose Largest + 1 >= packetNumber: the only one that can hold or be extended upward by it.
        int i = FirstWithLargestAtLeast(packetNumber - 1);
        ref AckRange r = ref _ranges[i];
        if (r.Contains(packetNumber)) return false;
        if (packetNumber == r.Largest + 1)
        {
            r = r with { Largest = packetNumber };
            if (i + 1 < _count && _ranges[i + 1].Smallest == packetNumber + 1)
            {
                r = r with { Largest = _ranges[i + 1].Largest };
                RemoveAt(i + 1);
            }
            return true;
        }
        if (packetNumber == r.Smallest - 1)
        {
            // The range below ends before packetNumber - 1 (else it would have been i), so nothing merges.
            r = r with { Smallest = packetNumber };
            return true;
        }
        Insert(i, new AckRange(packetNumber, packetNumber));
        return true;
    }

    /// <summary>True when <paramref name="packetNumber"/> is in the set.</summary>
    public bool Contains(long packetNumber)
    {
        if (_count == 0 || packetNumber < _ranges[0].Smallest || packetNumber > _ranges[_count - 1].Largest) return false;
        int i = FirstWithLargestAtLeast(packetNumber);
        return _ranges[i].Smallest <= packetNumber;
    }

    /// <summary>True when every packet number from <paramref name="from"/> through <paramref name="to"/> is in the set (true when from &gt; to).</summary>
    public bool ContainsAll(long from, long to)
    {
        if (from > to) return true;
        if (_count == 0 || from < _ranges[0].Smallest || to > _ranges[_count - 1].Largest) return false;
        int i = FirstWithLargestAtLeast(from);
        return _ranges[i].Smallest <= from && _ranges[i].Largest >= to;
    }

    /// <summary>
    /// Forgets every packet number up to and including <paramref name="packetNumber"/> and raises <see cref="Floor"/> above
    /// it (RFC 9000 §13.2.4: after the peer acknowledged an ACK frame, stop acknowledging what it covered).
    /// </summary>
    public void RemoveUpTo(long packetNumber)
    {
        if (packetNumber < Floor) return;
        Floor = packetNumber + 1;
        int drop = 0;
        while (drop < _count && _ranges[drop].Largest <= packetNumber) drop++;
        if (drop > 0)
        {
            Array.Copy(_ranges, drop, _ranges, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _ranges[0].Smallest <= packetNumber)
            _ranges[0] = _ranges[0] with { Smallest = packetNumber + 1 };
    }

    /// <summary>Empties the set (and keeps <see cref="Floor"/>).</summary>
    public void Clear() => _count = 0;

    /// <summary>Copies the ranges, largest first, into <paramref name="destination"/>; returns how many were copied.</summary>
    public int CopyTo(Span<AckRange> destination)
    {
        int n = Math.Min(destination.Length, _count);
        for (int k = 0; k < n; k++) destination[k] = _ranges[_count - 1 - k];
        return n;
    }

    /// <summary>Enumerates the ranges largest first without allocating.</summary>
    public Enumerator GetEnumerator() => new(this);

    /// <summary>The ranges, e.g. <c>[10..12] [5] [0..3]</c>.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var r in this)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    private int FirstWithLargestAtLeast(long value)
    {
        int lo = 0, hi = _count; // answer in [lo, hi]
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].Largest >= value) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private void Insert(int index, AckRange range)
    {
        if (_count == _ranges.Length && _count < _maxRanges) Array.Resize(ref _ranges, Math.Min(_maxRanges, Math.Max(16, _count * 2)));
        if (_count == _ranges.Length)
        {
            // Full: forget the lowest range first (RFC 9000 §13.2.3 lets a receiver bound the ranges it keeps).
            if (index == 0)
            {
                Floor = Math.Max(Floor, range.Largest + 1);
                return;
            }
            Floor = Math.Max(Floor, _ranges[0].Largest + 1);
            Array.Copy(_ranges, 1, _ranges, 0, index - 1);
            _ranges[index - 1] = range;
            return;
        }
        Array.Copy(_ranges, index, _ranges, index + 1, _count - index);
        _ranges[index] = range;
        _count++;
    }

    private void RemoveAt(int index)
    {
        Array.Copy(_ranges, index + 1, _ranges, index, _count - index - 1);
        _count--;
    }

    /// <summary>Enumerates ranges largest first.</summary>
    public struct Enumerator
    {
        private readonly AckRangeSet _set;
        private int _index;

        internal Enumerator(AckRangeSet set)
        {
            _set = set;
            _index = set._count;
        }

        /// <summary>The current range.</summary>
        public readonly AckRange Current => _set._ranges[_index];

        /// <summary>Moves to the next smaller range.</summary>
        public bool MoveNext() => --_index >= 0;
    }
}

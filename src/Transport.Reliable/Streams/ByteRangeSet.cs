namespace Transport.Reliable.Streams;

/// <summary>
/// A set of stream byte offsets kept as sorted, disjoint, non-adjacent half-open ranges <c>[Start, End)</c>.
/// Used for received data, acknowledged data and data queued for retransmission. Grows its arrays rarely and
/// allocates nothing otherwise; lookups are binary searches.
/// </summary>
internal sealed class ByteRangeSet
{
    private long[] _starts;
    private long[] _ends;
    private int _count;

    public ByteRangeSet(int initialCapacity = 4)
    {
        _starts = new long[initialCapacity];
        _ends = new long[initialCapacity];
    }

    /// <summary>Number of disjoint ranges.</summary>
    public int Count => _count;

    /// <summary>Total number of offsets covered.</summary>
    public long TotalLength { get; private set; }

    /// <summary>Start (inclusive) of the range at <paramref name="index"/>.</summary>
    public long StartAt(int index) => _starts[index];

    /// <summary>End (exclusive) of the range at <paramref name="index"/>.</summary>
    public long EndAt(int index) => _ends[index];

    /// <summary>The end of the range that begins at offset 0, or 0 when offset 0 is not covered.</summary>
    public long PrefixEnd => _count > 0 && _starts[0] == 0 ? _ends[0] : 0;

    /// <summary>Index of the first range whose end is greater than <paramref name="position"/>, or <see cref="Count"/>.</summary>
    public int FirstEndingAfter(long position)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ends[mid] > position) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>True when every offset of <c>[start, end)</c> is in the set (an empty range always is).</summary>
    public bool Contains(long start, long end)
    {
        if (start >= end) return true;
        int i = FirstEndingAfter(start);
        return i < _count && _starts[i] <= start && _ends[i] >= end;
    }

    /// <summary>Adds <c>[start, end)</c>; returns how many offsets were not in the set before.</summary>
    public long Add(long start, long end)
    {
        if (start >= end) return 0;

        // First range that overlaps or touches [start, end): its end is >= start.
        int first = FirstEndingAfter(start - 1);
        int last = first;
        while (last < _count && _starts[last] <= end) last++;
        // Ranges first .. last-1 overlap or touch the new one.
        if (first == last)
        {
            InsertAt(first, start, end);
            TotalLength += end - start;
            return end - start;
        }

        long mergedStart = Math.Min(start, _starts[first]);
        long mergedEnd = Math.Max(end, _ends[last - 1]);
        long covered = 0;
        for (int i = first; i < last; i++) covered += _ends[i] - _starts[i];
        _starts[first] = mergedStart;
        _ends[first] = mergedEnd;
        RemoveRange(first + 1, last - first - 1);
        long added = mergedEnd - mergedStart - covered;
        TotalLength += added;
        return added;
    }

    /// <summary>Removes <c>[start, end)</c>; returns how many offsets were in the set.</summary>
    public long Remove(long start, long end)
    {
        if (start >= end) return 0;
        long removed = 0;
        int i = FirstEndingAfter(start);
        int fullyCoveredFrom = -1, fullyCoveredCount = 0;
        while (i < _count && _starts[i] < end)
        {
            long s = _starts[i], e = _ends[i];
            removed += Math.Min(e, end) - Math.Max(s, start);
            if (s < start && e > end)
            {
                // Split one range in two.
                _ends[i] = start;
                InsertAt(i + 1, end, e);
                break;
            }
            if (s < start)
            {
                _ends[i] = start;
                i++;
            }
            else if (e > end)
            {
                _starts[i] = end;
                break;
            }
            else
            {
                if (fullyCoveredFrom < 0) fullyCoveredFrom = i;
                fullyCoveredCount++;
                i++;
            }
        }
        if (fullyCoveredCount > 0) RemoveRange(fullyCoveredFrom, fullyCoveredCount);
        TotalLength -= removed;
        return removed;
    }

    /// <summary>Empties the set (keeps its arrays).</summary>
    public void Clear()
    {
        _count = 0;
        TotalLength = 0;
    }

    private void InsertAt(int index, long start, long end)
    {
        if (_count == _starts.Length)
        {
            int capacity = _starts.Length * 2;
            Array.Resize(ref _starts, capacity);
            Array.Resize(ref _ends, capacity);
        }
        if (index < _count)
        {
            Array.Copy(_starts, index, _starts, index + 1, _count - index);
            Array.Copy(_ends, index, _ends, index + 1, _count - index);
        }
        _starts[index] = start;
        _ends[index] = end;
        _count++;
    }

    private void RemoveRange(int index, int count)
    {
        if (count == 0) return;
        int tail = _count - index - count;
        if (tail > 0)
        {
            Array.Copy(_starts, index + count, _starts, index, tail);
            Array.Copy(_ends, index + count, _ends, index, tail);
        }
        _count -= count;
    }
}

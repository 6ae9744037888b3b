using System.Buffers;

namespace Transport.Reliable.Streams;

/// <summary>
/// Stream bytes stored by absolute stream offset in fixed-size chunks rented from <see cref="Pool"/>.
/// Chunks are kept in a ring indexed by chunk number, rented lazily on first write and returned once every offset in
/// them is released. In steady state (a sliding window of offsets) nothing is allocated beyond the pool.
/// </summary>
internal sealed class ChunkedByteStore
{
    /// <summary>
    /// The pool all stream buffers rent chunks from. <see cref="ArrayPool{T}.Shared"/> keeps only a few dozen arrays
    /// per size and core, so a stream buffering a megabyte would allocate on every pass; this pool keeps up to 4096
    /// arrays per size (16 MiB of the default 4 KiB chunks; chunks above 16 KiB are not pooled) and is thread-safe.
    /// </summary>
    internal static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 16 * 1024, maxArraysPerBucket: 4096);

    private readonly int _chunkSize;
    private byte[]?[] _slots;
    private int _head;       // slot holding chunk number _baseChunk
    private long _baseChunk; // lowest chunk number still held (everything below was released)
    private int _rented;

    public ChunkedByteStore(int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        _chunkSize = chunkSize;
        _slots = new byte[]?[4];
    }

    /// <summary>The size of one chunk in bytes.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Number of chunks currently rented (for tests and diagnostics).</summary>
    public int RentedChunks => _rented;

    /// <summary>Copies <paramref name="data"/> to the offsets starting at <paramref name="offset"/>.</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            long chunk = offset / _chunkSize;
            int within = (int)(offset - chunk * _chunkSize);
            int n = Math.Min(data.Length, _chunkSize - within);
            byte[] array = GetOrRent(chunk);
            data[..n].CopyTo(array.AsSpan(within, n));
            data = data[n..];
            offset += n;
        }
    }

    /// <summary>Copies the bytes at offsets <c>[offset, offset + destination.Length)</c>, which must have been written.</summary>
    public void CopyTo(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            long chunk = offset / _chunkSize;
            int within = (int)(offset - chunk * _chunkSize);
            int n = Math.Min(destination.Length, _chunkSize - within);
            byte[] array = Get(chunk);
            array.AsSpan(within, n).CopyTo(destination);
            destination = destination[n..];
            offset += n;
        }
    }

    /// <summary>The stored bytes from <paramref name="offset"/> to the end of its chunk or <paramref name="end"/>, whichever is first.</summary>
    public ReadOnlySpan<byte> GetContiguous(long offset, long end)
    {
        if (end <= offset) return default;
        long chunk = offset / _chunkSize;
        int within = (int)(offset - chunk * _chunkSize);
        int n = (int)Math.Min(end - offset, _chunkSize - within);
        return Get(chunk).AsSpan(within, n);
    }

    /// <summary>Returns to the pool every chunk that lies wholly below <paramref name="offset"/>.</summary>
    public void ReleaseBefore(long offset)
    {
        long firstKept = offset / _chunkSize;
        int mask = _slots.Length - 1;
        while (_baseChunk < firstKept)
        {
            byte[]? array = _slots[_head];
            if (array is not null)
            {
                Pool.Return(array);
                _slots[_head] = null;
                _rented--;
            }
            _head = (_head + 1) & mask;
            _baseChunk++;
            if (_rented == 0)
            {
                // Nothing held: jump straight to the new base instead of walking empty slots.
                _baseChunk = Math.Max(_baseChunk, firstKept);
                break;
            }
        }
    }

    /// <summary>Returns every chunk to the pool; the store can be used again from <paramref name="baseOffset"/>.</summary>
    public void Clear(long baseOffset = 0)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is { } array)
            {
                Pool.Return(array);
                _slots[i] = null;
            }
        }
        _head = 0;
        _rented = 0;
        _baseChunk = baseOffset / _chunkSize;
    }

    private byte[] Get(long chunk)
    {
        long relative = chunk - _baseChunk;
        byte[]? array = relative >= 0 && relative < _slots.Length ? _slots[(int)((_head + relative) & (_slots.Length - 1))] : null;
        return array ?? throw new InvalidOperationException($"Stream bytes of chunk {chunk} are not stored (released or never written).");
    }

    private byte[] GetOrRent(long chunk)
    {
        long relative = chunk - _baseChunk;
        if (relative < 0) throw new InvalidOperationException($"Stream bytes of chunk {chunk} were already released.");
        if (relative >= _slots.Length) Grow(relative + 1);
        int slot = (int)((_head + relative) & (_slots.Length - 1));
        if (_slots[slot] is { } existing) return existing;
        _rented++;
        return _slots[slot] = Pool.Rent(_chunkSize);
    }

    private void Grow(long needed)
    {
        int capacity = _slots.Length;
        while (capacity < needed) capacity = checked(capacity * 2);
        var slots = new byte[]?[capacity];
        for (int i = 0; i < _slots.Length; i++) slots[i] = _slots[(_head + i) & (_slots.Length - 1)];
        _slots = slots;
        _head = 0;
    }
}

using Transport.Reliable;

namespace Transport.Quic.Connection;

/// <summary>
/// The record of what a sent packet carried, kept as the opaque <see cref="Transport.Reliable.Recovery.SentPacket.Payload"/>
/// and handed back when the packet is acknowledged or lost. Pooled: returned once acknowledged or declared lost.
/// </summary>
internal sealed class SentPacketInfo
{
    private SentFrame[] _frames = new SentFrame[8];

    public PacketNumberSpace Space { get; set; }

    /// <summary>The 1-RTT key generation it was sealed with (application data only).</summary>
    public int KeyGeneration { get; set; }

    /// <summary>Sent in a 0-RTT packet (client).</summary>
    public bool ZeroRtt { get; set; }

    /// <summary>Its contents were already queued again (rejected 0-RTT): a later loss declaration requeues nothing.</summary>
    public bool Abandoned { get; set; }

    /// <summary>Sent in a datagram marked ECT(0) (RFC 9000 §13.4.2).</summary>
    public bool EcnMarked { get; set; }

    public int Count { get; private set; }

    public ReadOnlySpan<SentFrame> Frames => _frames.AsSpan(0, Count);

    public void Add(in SentFrame frame)
    {
        if (Count == _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
        _frames[Count++] = frame;
    }

    public void Clear() => Count = 0;
}

/// <summary>
/// A free list of <see cref="SentPacketInfo"/> so steady traffic allocates no records. A transfer leaves as many records
/// (about 300 bytes each) as it had packets in flight; after a quiet spell the connection calls <see cref="TrimExcess"/>
/// to keep only <see cref="LocalCapacity"/> (the next burst allocates again, once).
/// </summary>
internal sealed class SentPacketInfoPool
{
    /// <summary>Records kept through a quiet spell.</summary>
    public const int LocalCapacity = 8;

    private readonly Stack<SentPacketInfo> _free = new();

    /// <summary>Records held free.</summary>
    public int Count => _free.Count;

    /// <summary>More records than <see cref="LocalCapacity"/> are held.</summary>
    public bool HasExcess => _free.Count > LocalCapacity;

    public SentPacketInfo Rent(PacketNumberSpace space)
    {
        var info = _free.Count > 0 ? _free.Pop() : new SentPacketInfo();
        info.Clear();
        info.ZeroRtt = false;
        info.Abandoned = false;
        info.EcnMarked = false;
        info.Space = space;
        return info;
    }

    public void Return(SentPacketInfo info)
    {
        if (_free.Count < 4096) _free.Push(info);
    }

    /// <summary>Drops the free records beyond <see cref="LocalCapacity"/> (and the stack's storage for them).</summary>
    public void TrimExcess() => TrimTo(LocalCapacity);

    /// <summary>Keeps at most <paramref name="keep"/> free records (and storage for only those).</summary>
    public void TrimTo(int keep)
    {
        if (_free.Count <= keep) return;
        while (_free.Count > keep) _free.Pop();
        _free.TrimExcess();
    }
}

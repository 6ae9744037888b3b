using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>The fate of a tracked packet.</summary>
internal enum SentPacketState : byte
{
    /// <summary>Sent, neither acknowledged nor declared lost.</summary>
    Outstanding,
    /// <summary>Acknowledged: kept only until the packets before it are resolved.</summary>
    Acknowledged,
    /// <summary>Declared lost: kept for a while so a late ACK is recognised as a spurious loss.</summary>
    Lost,
}

/// <summary>One tracked packet and its fate.</summary>
internal struct SentPacketSlot
{
    public SentPacket Packet;
    public SentPacketState State;
    public Instant LostTime;
}

/// <summary>
/// The sent packets of one packet number space, in ascending packet number order, in a growable ring buffer: new packets
/// go at the back, resolved packets leave from the front, lookups by packet number are a binary search. Allocates only
/// when it grows past its largest size so far.
/// </summary>
internal sealed class SentPacketRing
{
    private SentPacketSlot[] _slots;
    private int _head;
    private int _count;

    /// <summary>An empty ring; <paramref name="capacity"/> slots (rounded up to a power of two; 0: none until the first packet).</summary>
    public SentPacketRing(int capacity = 8)
    {
        _slots = capacity <= 0 ? [] : new SentPacketSlot[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity)];
    }

    public int Count => _count;

    public ref SentPacketSlot this[int index] => ref _slots[(_head + index) & (_slots.Length - 1)];

    /// <summary>The packet number at the front, or -1 when empty.</summary>
    public long FrontPacketNumber => _count == 0 ? -1 : this[0].Packet.PacketNumber;

    public void Add(in SentPacket packet)
    {
        if (_count == _slots.Length) Grow();
        ref var slot = ref _slots[(_head + _count) & (_slots.Length - 1)];
        slot.Packet = packet;
        slot.State = SentPacketState.Outstanding;
        slot.LostTime = default;
        _count++;
    }

    public void RemoveFront()
    {
        _slots[_head] = default; // drop the payload reference
        _head = (_head + 1) & (_slots.Length - 1);
        _count--;
    }

    public void Clear()
    {
        while (_count > 0) RemoveFront();
        _head = 0;
    }

    /// <summary>Empties the ring and gives its storage back (for a discarded packet number space, whose ring is never used again).</summary>
    public void ClearAndShrink()
    {
        Clear();
        _slots = [];
    }

    /// <summary>Slots allocated.</summary>
    public int Capacity => _slots.Length;

    /// <summary>
    /// Gives back the storage a burst left: shrinks to twice the packets held (a power of two, at least
    /// <paramref name="minimum"/>; nothing at all when empty and <paramref name="minimum"/> is 0) when that is smaller.
    /// </summary>
    public void TrimExcess(int minimum)
    {
        int target = _count == 0 && minimum == 0 ? 0 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(Math.Max(minimum, 1), _count * 2));
        if (target >= _slots.Length) return;
        var smaller = target == 0 ? [] : new SentPacketSlot[target];
        for (int i = 0; i < _count; i++) smaller[i] = this[i];
        _slots = smaller;
        _head = 0;
    }

    /// <summary>The index of the first packet numbered at least <paramref name="packetNumber"/> (Count when none).</summary>
    public int LowerBound(long packetNumber)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (this[mid].Packet.PacketNumber >= packetNumber) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private void Grow()
    {
        // From the small start straight to 16 (fewer early growths); an empty ring (a trimmed idle one, or the lost
        // packets' ring) to 4: an idle connection's occasional packet does not buy 16 slots (about 1.4 KiB).
        var bigger = new SentPacketSlot[_slots.Length == 0 ? 4 : Math.Max(16, _slots.Length * 2)];
        for (int i = 0; i < _count; i++) bigger[i] = this[i];
        _slots = bigger;
        _head = 0;
    }
}

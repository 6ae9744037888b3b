namespace Transport.Core.Simulation;

/// <summary>
/// The copies travelling in the simulator, handed out in (delivery instant, scheduling sequence) order.
/// </summary>
/// <remarks>
/// Copies that keep their FIFO place on a link arrive in the order they were scheduled (the simulator enforces it), so
/// each link keeps them in a plain FIFO and only the head of each FIFO sits in the heap; copies held back for
/// reordering sit in the heap themselves. The heap thus holds one entry per busy link plus the held-back copies, not
/// every copy in flight, and the order out is exactly that of one heap over all copies.
/// </remarks>
internal sealed class DeliveryQueue
{
    private struct Entry
    {
        public long Ticks;
        public long Sequence;
        public SimulatedLink? Link; // the head of this link's FIFO, or null for a held-back copy
        public int Slot;            // the held-back copy's slot
    }

    private Entry[] _heap = new Entry[16];
    private int _heapCount;
    private PendingDelivery[] _slots = new PendingDelivery[16];
    private int[] _freeSlots = new int[16];
    private int _freeCount;
    private int _slotsUsed;

    /// <summary>How many copies are queued.</summary>
    public int Count { get; private set; }

    /// <summary>Queues a copy that keeps its FIFO place: its (ticks, sequence) must not be below the link's last one.</summary>
    public void EnqueueInOrder(in PendingDelivery pending)
    {
        var link = pending.Link;
        link.InOrder.Enqueue(pending);
        if (link.InOrder.Count == 1) Push(new Entry { Ticks = pending.Ticks, Sequence = pending.Sequence, Link = link });
        Count++;
    }

    /// <summary>Queues a copy that may arrive out of its link's FIFO order.</summary>
    public void EnqueueHeldBack(in PendingDelivery pending)
    {
        int slot;
        if (_freeCount > 0) slot = _freeSlots[--_freeCount];
        else
        {
            if (_slotsUsed == _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            slot = _slotsUsed++;
        }
        _slots[slot] = pending;
        Push(new Entry { Ticks = pending.Ticks, Sequence = pending.Sequence, Slot = slot });
        Count++;
    }

    /// <summary>The delivery instant (ticks) of the next copy.</summary>
    public bool TryPeekTicks(out long ticks)
    {
        if (_heapCount == 0)
        {
            ticks = 0;
            return false;
        }
        ticks = _heap[0].Ticks;
        return true;
    }

    /// <summary>Removes and returns the next copy; the queue must not be empty.</summary>
    public PendingDelivery Dequeue()
    {
        ref var top = ref _heap[0];
        PendingDelivery pending;
        var link = top.Link;
        if (link is not null)
        {
            pending = link.InOrder.Dequeue();
            if (link.InOrder.TryPeek(out var next))
            {
                top.Ticks = next.Ticks;
                top.Sequence = next.Sequence;
                SiftDown(0);
            }
            else RemoveTop();
        }
        else
        {
            int slot = top.Slot;
            pending = _slots[slot];
            _slots[slot] = default;
            if (_freeCount == _freeSlots.Length) Array.Resize(ref _freeSlots, _freeSlots.Length * 2);
            _freeSlots[_freeCount++] = slot;
            RemoveTop();
        }
        Count--;
        return pending;
    }

    private static bool Less(in Entry a, in Entry b) => a.Ticks < b.Ticks || (a.Ticks == b.Ticks && a.Sequence < b.Sequence);

    private void Push(Entry entry)
    {
        if (_heapCount == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        int i = _heapCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Less(entry, _heap[parent])) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = entry;
    }

    private void RemoveTop()
    {
        _heapCount--;
        if (_heapCount > 0)
        {
            _heap[0] = _heap[_heapCount];
            SiftDown(0);
        }
        _heap[_heapCount] = default;
    }

    private void SiftDown(int i)
    {
        var entry = _heap[i];
        int count = _heapCount;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= count) break;
            if (child + 1 < count && Less(_heap[child + 1], _heap[child])) child++;
            if (!Less(_heap[child], entry)) break;
            _heap[i] = _heap[child];
            i = child;
        }
        _heap[i] = entry;
    }
}

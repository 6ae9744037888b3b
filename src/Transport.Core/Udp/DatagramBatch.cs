using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Transport.Core.Udp.LinuxUdpNative;

namespace Transport.Core.Udp;

/// <summary>
/// Reusable storage for one receive call of <see cref="UdpDatagramSocket"/>: message buffers, sender addresses and the
/// per-datagram table (offset, length, sender, segment and TOS information). All memory is allocated once, pinned, in
/// the constructor; receiving into a batch allocates nothing. A batch serves one receive at a time.
/// </summary>
public sealed unsafe class DatagramBatch
{
    /// <summary>The most datagrams the kernel coalesces into one GRO message (UDP_GRO_CNT_MAX in Linux).</summary>
    internal const int MaxSegmentsPerMessage = 64;

    /// <summary>Message slot size the GRO path needs: a coalesced train is up to 64 KiB.</summary>
    public const int GroMessageSize = 65536;

    private const int NameStride = 32;   // sockaddr_in6 is 28 bytes
    private const int ControlStride = 64; // room for UDP_GRO (int) and IP_TOS / IPV6_TCLASS (int) control messages

    private readonly byte[] _buffer;
    private readonly SocketAddress[] _remotes;
    private readonly int _remoteCapacity;
    private readonly Entry[] _entries;
    private readonly MMsgHdr[] _headers;
    private readonly IoVec[] _iovecs;
    private readonly byte[] _names;
    private readonly byte[] _control;

    /// <summary>Creates a batch for sockets of <paramref name="addressFamily"/>.</summary>
    /// <param name="addressFamily">The family of the socket that will receive into it (its <see cref="UdpDatagramSocket.AddressFamily"/>).</param>
    /// <param name="messageCapacity">How many messages (system-level receives) one call may return, 1..1024. Default 32.</param>
    /// <param name="messageSize">Bytes per message slot. The GRO path needs <see cref="GroMessageSize"/> (the default); the plain path only the largest datagram expected.</param>
    public DatagramBatch(AddressFamily addressFamily, int messageCapacity = 32, int messageSize = GroMessageSize)
    {
        if (addressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"A datagram batch is for IPv4 or IPv6 sockets, not {addressFamily}.", nameof(addressFamily));
        if (messageCapacity is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(messageCapacity), messageCapacity, "The message capacity must be 1..1024.");
        if (messageSize is < 1 or > GroMessageSize)
            throw new ArgumentOutOfRangeException(nameof(messageSize), messageSize, $"The message size must be 1..{GroMessageSize} bytes.");

        AddressFamily = addressFamily;
        MessageCapacity = messageCapacity;
        MessageSize = messageSize;
        _buffer = GC.AllocateUninitializedArray<byte>(checked(messageCapacity * messageSize), pinned: true);
        _remotes = new SocketAddress[messageCapacity];
        for (int i = 0; i < messageCapacity; i++)
            _remotes[i] = new SocketAddress(addressFamily);
        _remoteCapacity = _remotes[0].Size;
        _entries = new Entry[messageCapacity * MaxSegmentsPerMessage];
        _headers = GC.AllocateArray<MMsgHdr>(messageCapacity, pinned: true);
        _iovecs = GC.AllocateArray<IoVec>(messageCapacity, pinned: true);
        _names = GC.AllocateArray<byte>(messageCapacity * NameStride, pinned: true);
        _control = GC.AllocateArray<byte>(messageCapacity * ControlStride, pinned: true);

        byte* buffer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        byte* names = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_names));
        byte* control = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_control));
        IoVec* iovecs = (IoVec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_iovecs));
        for (int i = 0; i < messageCapacity; i++)
        {
            iovecs[i].Base = buffer + (nint)i * messageSize;
            iovecs[i].Length = (nuint)messageSize;
            ref MsgHdr h = ref _headers[i].Header;
            h.Name = names + i * NameStride;
            h.Iov = iovecs + i;
            h.IovLength = 1;
            h.Control = control + i * ControlStride;
        }
    }

    /// <summary>The address family of the sockets this batch serves.</summary>
    public AddressFamily AddressFamily { get; }

    /// <summary>How many messages one receive may return.</summary>
    public int MessageCapacity { get; }

    /// <summary>Bytes per message slot.</summary>
    public int MessageSize { get; }

    /// <summary>Datagrams received by the last receive (GRO trains already split into their datagrams).</summary>
    public int Count { get; private set; }

    /// <summary>Messages (system-level receives) of the last receive; below <see cref="Count"/> when GRO coalesced datagrams.</summary>
    public int MessageCount { get; private set; }

    /// <summary>Messages dropped since the batch was created because they did not fit a slot (truncated).</summary>
    public long TruncatedMessages { get; private set; }

    /// <summary>The datagram at <paramref name="index"/> (0 .. <see cref="Count"/>-1) of the last receive.</summary>
    public ReceivedDatagram this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch holds {Count} datagrams.");
            ref Entry e = ref _entries[index];
            return new ReceivedDatagram(
                _buffer.AsSpan(e.Offset, e.Length),
                _remotes[e.Message],
                new DatagramMetadata(e.SegmentSize, e.HasTos ? e.Tos : null));
        }
    }

    /// <summary>The payload of datagram <paramref name="index"/>.</summary>
    internal Span<byte> GetData(int index)
    {
        ref Entry e = ref _entries[index];
        return _buffer.AsSpan(e.Offset, e.Length);
    }

    /// <summary>The sender of datagram <paramref name="index"/>.</summary>
    internal SocketAddress GetRemote(int index) => _remotes[_entries[index].Message];

    /// <summary>The metadata of datagram <paramref name="index"/>.</summary>
    internal DatagramMetadata GetMetadata(int index)
    {
        ref Entry e = ref _entries[index];
        return new DatagramMetadata(e.SegmentSize, e.HasTos ? e.Tos : null);
    }

    internal void Clear()
    {
        Count = 0;
        MessageCount = 0;
    }

    /// <summary>The slot of message <paramref name="message"/> for the plain receive path.</summary>
    internal Span<byte> MessageSlot(int message) => _buffer.AsSpan(message * MessageSize, MessageSize);

    /// <summary>The slot of message <paramref name="message"/> as memory, for asynchronous receives.</summary>
    internal Memory<byte> MessageMemory(int message) => _buffer.AsMemory(message * MessageSize, MessageSize);

    /// <summary>The sender slot of message <paramref name="message"/>, its size reset to hold any address of the family.</summary>
    internal SocketAddress RemoteSlot(int message)
    {
        SocketAddress remote = _remotes[message];
        remote.Size = _remoteCapacity; // a receive that returned no sender (a shutdown wakeup) left it at 0
        return remote;
    }

    /// <summary>Records a plain (unsegmented) datagram received into slot <paramref name="message"/>.</summary>
    internal void AddPlain(int message, int length)
    {
        _entries[Count++] = new Entry { Offset = message * MessageSize, Length = length, Message = message };
        MessageCount = message + 1;
    }

    /// <summary>The recvmmsg vector, reset for a new call over the first <paramref name="count"/> slots.</summary>
    internal MMsgHdr* PrepareNative(int count, bool wantControl)
    {
        MMsgHdr* headers = (MMsgHdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_headers));
        for (int i = 0; i < count; i++)
        {
            ref MsgHdr h = ref headers[i].Header;
            h.NameLength = NameStride;
            h.ControlLength = wantControl ? (nuint)ControlStride : 0;
            h.Flags = 0;
            headers[i].Length = 0;
        }
        return headers;
    }

    /// <summary>Splits the <paramref name="messages"/> messages recvmmsg filled into datagrams.</summary>
    internal void CompleteNative(int messages)
    {
        MMsgHdr* headers = (MMsgHdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_headers));
        int count = 0;
        for (int m = 0; m < messages; m++)
        {
            ref MMsgHdr mh = ref headers[m];
            ref MsgHdr h = ref mh.Header;
            if ((h.Flags & MSG_TRUNC) != 0 || h.NameLength == 0 || h.NameLength > NameStride)
            {
                // Truncated (bigger than the slot), or no sender (the wakeup of a shutdown): nothing usable.
                if ((h.Flags & MSG_TRUNC) != 0) TruncatedMessages++;
                continue;
            }

            // The kernel writes a native sockaddr; on Linux SocketAddress.Buffer holds exactly those bytes.
            SocketAddress remote = _remotes[m];
            int nameLength = (int)h.NameLength;
            if (nameLength > remote.Buffer.Length) continue; // another family than the batch's: cannot happen on a matching socket
            new ReadOnlySpan<byte>(h.Name, nameLength).CopyTo(remote.Buffer.Span);
            remote.Size = nameLength;

            int segmentSize = 0;
            bool hasTos = false;
            byte tos = 0;
            ParseControl((byte*)h.Control, (int)h.ControlLength, ref segmentSize, ref hasTos, ref tos);

            int length = (int)mh.Length;
            int offset = m * MessageSize;
            if (segmentSize <= 0 || segmentSize >= length)
            {
                _entries[count++] = new Entry { Offset = offset, Length = length, Message = m, SegmentSize = segmentSize > 0 && segmentSize == length ? segmentSize : 0, HasTos = hasTos, Tos = tos };
                continue;
            }

            // A GRO train: equal segments, the last one possibly shorter.
            for (int at = 0; at < length && count < _entries.Length; at += segmentSize)
                _entries[count++] = new Entry { Offset = offset + at, Length = Math.Min(segmentSize, length - at), Message = m, SegmentSize = segmentSize, HasTos = hasTos, Tos = tos };
        }
        Count = count;
        MessageCount = messages;
    }

    private static void ParseControl(byte* control, int controlLength, ref int segmentSize, ref bool hasTos, ref byte tos)
    {
        int header = CmsgHeaderSize;
        int at = 0;
        while (at + header <= controlLength)
        {
            CmsgHdr* c = (CmsgHdr*)(control + at);
            int length = (int)c->Length;
            if (length < header || at + length > controlLength) break;
            byte* data = control + at + header;
            int dataLength = length - header;
            if (c->Level == SOL_UDP && c->Type == UDP_GRO && dataLength >= sizeof(int))
                segmentSize = Unsafe.ReadUnaligned<int>(data);
            else if (c->Level == IPPROTO_IP && c->Type == IP_TOS && dataLength >= 1)
            {
                hasTos = true;
                tos = *data;
            }
            else if (c->Level == IPPROTO_IPV6 && c->Type == IPV6_TCLASS && dataLength >= sizeof(int))
            {
                hasTos = true;
                tos = (byte)Unsafe.ReadUnaligned<int>(data);
            }
            at += CmsgAlign(length);
        }
    }

    private struct Entry
    {
        public int Offset;
        public int Length;
        public int Message;
        public int SegmentSize;
        public bool HasTos;
        public byte Tos;
    }
}

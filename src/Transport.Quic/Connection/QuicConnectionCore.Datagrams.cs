using Transport.Core.Wire;
using Transport.Quic.Frames;

namespace Transport.Quic.Connection;

// Unreliable datagrams (RFC 9221): a bounded queue out, events in.
public sealed partial class QuicConnectionCore
{
    private readonly Queue<byte[]> _datagramQueue = new();

    /// <summary>
    /// The largest datagram payload <see cref="SendDatagram"/> accepts now: bounded by the peer's max_datagram_frame_size
    /// and by what fits in one packet; 0 when the peer does not accept DATAGRAM frames (or its parameters are not known yet).
    /// </summary>
    public int MaxDatagramPayloadSize
    {
        get
        {
            if (_peerParameters?.MaxDatagramFrameSize is not { } peerMax) return 0;
            // A DATAGRAM frame with a Length field: type, length varint, data (RFC 9221 §4).
            int byFrame = (int)Math.Min(peerMax, int.MaxValue) - 1 - 2;
            int byPacket = _maxDatagramSize - (1 + ConnectionId.MaxLength + 4) - PacketProtectionTag - 1 - 2;
            return Math.Max(0, Math.Min(byFrame, byPacket));
        }
    }

    private const int PacketProtectionTag = 16;

    /// <summary>
    /// Queues an unreliable datagram (RFC 9221): sent once, when congestion control allows, never retransmitted. When the
    /// queue is full (<see cref="ConnectionOptions.DatagramSendQueueCapacity"/>) the oldest queued datagram is dropped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The peer does not accept datagrams, or the connection is closed.</exception>
    /// <exception cref="ArgumentException">The datagram is larger than <see cref="MaxDatagramPayloadSize"/>.</exception>
    public void SendDatagram(ReadOnlySpan<byte> data)
    {
        ThrowIfClosed();
        int max = MaxDatagramPayloadSize;
        if (max == 0) throw new InvalidOperationException("The peer does not accept DATAGRAM frames (no max_datagram_frame_size), or the handshake has not told yet.");
        if (data.Length > max) throw new ArgumentException($"A datagram of {data.Length} bytes exceeds the {max} bytes that fit.", nameof(data));
        while (_datagramQueue.Count >= _options.DatagramSendQueueCapacity)
        {
            _datagramQueue.Dequeue();
            _statDatagramsDropped++;
        }
        _datagramQueue.Enqueue(data.ToArray());
    }

    private void WriteDatagrams(ref SpanWriter w, SentPacketInfo info)
    {
        while (_datagramQueue.TryPeek(out byte[]? d))
        {
            if (d.Length > MaxDatagramPayloadSize)
            {
                // Queued while the path MTU was larger (PMTU discovery fell back since): it can never fit now.
                _datagramQueue.Dequeue();
                _statDatagramsDropped++;
                continue;
            }
            int length = FrameWriter.GetDatagramFrameLength(d.Length, withLength: true);
            if (length > w.Remaining) break; // next packet
            FrameWriter.TryWrite(ref w, new DatagramFrame(d, hasLengthField: true));
            _datagramQueue.Dequeue();
            _statDatagramsSent++;
            info.Add(new SentFrame { Kind = SentFrameKind.Datagram });
        }
    }
}

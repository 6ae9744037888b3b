using Transport.Core.Time;
using Transport.Quic.Crypto;

namespace Transport.Quic.Connection;

// Several datagrams per call (a GSO train's worth), with the header protection of their 1-RTT packets computed in one
// cipher call at the end (RFC 9001 §5.4: the masks depend only on the ciphertext samples, so they may be computed after
// all payloads are sealed). On .NET each framework cipher call costs ~0.4 us whatever its size, about as much as the
// frame assembly of a packet, so one ECB pass over 16-64 samples instead of one call per packet is the saving.
public sealed partial class QuicConnectionCore
{
    /// <summary>The most datagrams one <see cref="PollTransmitBatch"/> call writes.</summary>
    internal const int MaxTransmitBatch = 64;

    // Within PollTransmitBatch: the offset of the datagram being built in the batch buffer (-1 outside a batch: 1-RTT
    // packets get their header protection at once), and the 1-RTT packets sealed so far whose header protection waits.
    private int _hpBatchBase = -1;
    private int _hpTargetCount;
    private HeaderProtection? _hpBatchKey;
    [ThreadStatic] private static HeaderProtectionTarget[]? t_hpTargets; // within one call: per thread, not per connection

    /// <summary>
    /// <see cref="PollTransmit"/> repeated: writes up to <c>lengths.Length</c> (at most <see cref="MaxTransmitBatch"/>)
    /// datagrams back to back into <paramref name="buffer"/>, datagram <c>i</c>'s length in <c>lengths[i]</c> and its
    /// transmit information in <c>infos[i]</c>, and returns how many. Stops when nothing more may be sent, when the rest
    /// of the buffer may be too short for a full datagram, or after a datagram whose pacing release time is later than
    /// <paramref name="now"/> + <paramref name="releaseHorizon"/> (that one is the last: the caller may hold it).
    /// Every datagram is complete and protected when this returns: header protection of the 1-RTT packets is applied
    /// for all of them at the end, in one cipher call (AES-ECB over their concatenated samples).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is shorter than 1200 bytes, or <paramref name="infos"/> shorter than <paramref name="lengths"/>.</exception>
    internal int PollTransmitBatch(Instant now, Span<byte> buffer, Span<int> lengths, Span<TransmitInfo> infos, TimeSpan releaseHorizon)
    {
        if (infos.Length < lengths.Length)
            throw new ArgumentException($"infos ({infos.Length}) must be at least as long as lengths ({lengths.Length}).", nameof(infos));
        int max = Math.Min(lengths.Length, MaxTransmitBatch);
        var targets = t_hpTargets ??= new HeaderProtectionTarget[MaxTransmitBatch];
        // A later datagram gets the rest of the buffer: it must hold a full datagram, or the batch would build smaller
        // datagrams than single calls would. (A path MTU probe larger than the rest waits for the next call's first
        // datagram: PathMtuProbeToSend skips a probe the buffer cannot hold; it never shrinks it.)
        int room = _maxDatagramSize;
        int count = 0, offset = 0;
        _hpTargetCount = 0;
        try
        {
            while (count < max && (count == 0 || buffer.Length - offset >= room))
            {
                _hpBatchBase = offset;
                int n = PollTransmit(now, buffer.Slice(offset), out TransmitInfo info);
                if (n == 0)
                {
                    // An internal error may have sealed a packet it then did not return: its bytes will be overwritten.
                    while (_hpTargetCount > 0 && targets[_hpTargetCount - 1].PacketStart >= offset) _hpTargetCount--;
                    break;
                }
                lengths[count] = n;
                infos[count] = info;
                count++;
                offset += n;
                if (info.EarliestSendTime > now + releaseHorizon) break;
            }
        }
        finally
        {
            _hpBatchBase = -1;
        }
        if (_hpTargetCount > 0)
        {
            int pending = _hpTargetCount;
            _hpTargetCount = 0;
            _hpBatchKey!.ApplyBatch(buffer, targets.AsSpan(0, pending));
        }
        return count;
    }

    /// <summary>Seals a 1-RTT packet: now, or (inside <see cref="PollTransmitBatch"/>) without header protection, which the batch applies at its end.</summary>
    private void SealShortPacket(Span<byte> packet, int packetStart, in Packets.PacketHeaderLayout layout, int packetNumberLength, long packetNumber)
    {
        if (_hpBatchBase < 0 || _hpTargetCount == MaxTransmitBatch)
        {
            _oneRtt!.Seal(packet, layout.HeaderLength, layout.PacketNumberOffset, packetNumberLength, packetNumber);
            return;
        }
        _oneRtt!.SealWithoutHeaderProtection(packet, layout.HeaderLength, layout.PacketNumberOffset, packetNumberLength, packetNumber);
        _hpBatchKey = _oneRtt.SendHeaderProtection; // the same key for every 1-RTT packet of the connection (RFC 9001 §6.1)
        int start = _hpBatchBase + packetStart;
        t_hpTargets![_hpTargetCount++] = new HeaderProtectionTarget(start, start + layout.PacketNumberOffset, packetNumberLength);
    }
}

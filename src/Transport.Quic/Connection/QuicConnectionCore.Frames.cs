using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Reliable;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Quic.Connection;

// Frames of a decrypted packet (RFC 9000 §12.4, §19): each goes to the concern that owns it.
public sealed partial class QuicConnectionCore
{
    /// <summary>Handles the frames of one packet; false when the connection closed because of them.</summary>
    private bool ProcessFrames(PacketSpace space, ReadOnlySpan<byte> payload, EncryptionLevel level, out bool ackEliciting)
    {
        var reader = new FrameReader(payload, level, IsServer);
        FrameReadResult r;
        ackEliciting = false;
        while ((r = reader.ReadNext(out Frame frame)) == FrameReadResult.Frame)
        {
            if (!HandleFrame(space, frame)) return false;
            if (_phase != ConnectionPhase.Open) return false;
        }
        if (r == FrameReadResult.Error)
        {
            CloseWithTransportError(reader.Error, reader.ErrorFrameType, reader.ErrorReason);
            return false;
        }
        ackEliciting = reader.IsAckEliciting;
        return true;
    }

    private bool HandleFrame(PacketSpace space, Frame frame)
    {
        if (!IsProbingFrame(frame.Type)) _packetNonProbing = true;
        switch (frame.Type)
        {
            case FrameType.Padding:
            case FrameType.Ping:
                return true;
            case FrameType.Ack:
            case FrameType.AckEcn:
                return OnAckFrame(space, frame.AsAck(), (ulong)frame.Type);
            case FrameType.Crypto:
                return OnCryptoFrame(space, frame.AsCrypto());
            case FrameType.Stream:
                return OnStreamFrame(frame.AsStream());
            case FrameType.ResetStream:
                return OnResetStreamFrame(frame.AsResetStream());
            case FrameType.StopSending:
                return OnStopSendingFrame(frame.AsStopSending());
            case FrameType.MaxData:
                OnMaxDataFrame((long)frame.AsMaxData().MaximumData);
                return true;
            case FrameType.MaxStreamData:
                return OnMaxStreamDataFrame(frame.AsMaxStreamData());
            case FrameType.MaxStreamsBidi:
            case FrameType.MaxStreamsUni:
                OnMaxStreamsFrame(frame.AsMaxStreams());
                return true;
            case FrameType.DataBlocked:
            case FrameType.StreamsBlockedBidi:
            case FrameType.StreamsBlockedUni:
                return true; // informational (RFC 9000 §4.1); our updates follow consumption
            case FrameType.StreamDataBlocked:
                return OnStreamDataBlockedFrame(frame.AsStreamDataBlocked());
            case FrameType.NewToken:
                return OnNewTokenFrame(frame.AsNewToken().Token);
            case FrameType.NewConnectionId:
                return OnNewConnectionIdFrame(frame.AsNewConnectionId());
            case FrameType.RetireConnectionId:
                return OnRetireConnectionIdFrame(frame.AsRetireConnectionId());
            case FrameType.PathChallenge:
                return OnPathChallengeFrame(frame.AsPathChallenge());
            case FrameType.PathResponse:
                return OnPathResponseFrame(frame.AsPathResponse());
            case FrameType.ConnectionClose:
            case FrameType.ConnectionCloseApplication:
                OnConnectionCloseFrame(frame.AsConnectionClose());
                return false;
            case FrameType.HandshakeDone:
                // RFC 9001 §4.1.2: the client's handshake is confirmed by HANDSHAKE_DONE.
                ConfirmHandshake();
                return true;
            case FrameType.Datagram:
            case FrameType.DatagramWithLength:
                return OnDatagramFrame(frame.AsDatagram(), frame.Encoded.Length);
            default:
                CloseWithTransportError(TransportErrorCode.ProtocolViolation, frame.RawType, "Unexpected frame.");
                return false;
        }
    }

    private bool OnCryptoFrame(PacketSpace space, CryptoFrame f)
    {
        if (space.IsDiscarded) return true;
        var result = space.CryptoReceive.Receive((long)f.Offset, f.Data, fin: false, space.CryptoReceive.ReadOffset + PacketSpace.CryptoReceiveLimit);
        if (result != ReceiveResult.Ok)
        {
            CloseWithTransportError(TransportErrorCode.CryptoBufferExceeded, (ulong)FrameType.Crypto, "CRYPTO data beyond the buffer limit (RFC 9000 §7.5).");
            return false;
        }
        return DeliverCryptoData(space);
    }

    private bool StreamError(TransportErrorCode error, FrameType type, string? reason)
    {
        CloseWithTransportError(error, (ulong)type, reason);
        return false;
    }

    private bool OnStreamFrame(StreamFrame f)
    {
        var stream = GetStreamForFrame((long)f.StreamId, peerSends: true, out var error, out string? reason);
        if (error != TransportErrorCode.NoError) return StreamError(error, FrameType.Stream, reason);
        if (stream is null) return true;
        var receive = stream.Receive!;
        var result = receive.Receive((long)f.Offset, f.Data, f.Fin, stream.ReceiveWindow!.MaxData, out long increase);
        if (result == ReceiveResult.FlowControlError) return StreamError(TransportErrorCode.FlowControlError, FrameType.Stream, "Stream data beyond MAX_STREAM_DATA.");
        if (result == ReceiveResult.FinalSizeError) return StreamError(TransportErrorCode.FinalSizeError, FrameType.Stream, "Stream data contradicts the final size.");
        if (increase > 0 && _connectionReceiveWindow.OnReceivedBytes(increase) != FlowControlResult.Ok)
            return StreamError(TransportErrorCode.FlowControlError, FrameType.Stream, "Stream data beyond MAX_DATA.");
        stream.ReceiveWindow.OnReceived(receive.HighestReceivedOffset);
        AfterStreamDataReceived(stream);
        return true;
    }

    private void AfterStreamDataReceived(StreamState stream)
    {
        var receive = stream.Receive!;
        if (stream.StopSendingSent)
        {
            // We asked the peer to stop: whatever still arrives is dropped at once.
            while (true)
            {
                int n = receive.PeekContiguous().Length;
                if (n == 0) break;
                receive.Consume(n);
                OnStreamBytesConsumed(stream, n);
            }
        }
        else if ((receive.ReadableBytes > 0 || receive.IsAllDataReceived) && !stream.ReadableReported)
        {
            stream.ReadableReported = true;
            Emit(ConnectionEventKind.StreamReadable, stream.Id);
        }
        TryReleaseStream(stream);
    }

    private bool OnResetStreamFrame(ResetStreamFrame f)
    {
        var stream = GetStreamForFrame((long)f.StreamId, peerSends: true, out var error, out string? reason);
        if (error != TransportErrorCode.NoError) return StreamError(error, FrameType.ResetStream, reason);
        if (stream is null) return true;
        var receive = stream.Receive!;
        var result = receive.OnReset((long)f.FinalSize, stream.ReceiveWindow!.MaxData, out long increase, out long released);
        if (result == ReceiveResult.FlowControlError) return StreamError(TransportErrorCode.FlowControlError, FrameType.ResetStream, "Final size beyond MAX_STREAM_DATA.");
        if (result == ReceiveResult.FinalSizeError) return StreamError(TransportErrorCode.FinalSizeError, FrameType.ResetStream, "RESET_STREAM changes the final size.");
        if (increase > 0 && _connectionReceiveWindow.OnReceivedBytes(increase) != FlowControlResult.Ok)
            return StreamError(TransportErrorCode.FlowControlError, FrameType.ResetStream, "Final size beyond MAX_DATA.");
        stream.ReceiveWindow.OnReceived((long)f.FinalSize);
        if (!stream.ResetReceived)
        {
            stream.ResetReceived = true;
            stream.MaxStreamDataPending = false;
            if (released > 0)
            {
                _connectionReceiveWindow.OnConsumed(released);
                if (_connectionReceiveWindow.TryGetUpdate(_now, _recovery.Rtt.SmoothedRtt, out _)) _maxDataPending = true;
            }
            Emit(ConnectionEventKind.StreamReset, stream.Id, f.ApplicationProtocolErrorCode);
        }
        TryReleaseStream(stream);
        return true;
    }

    private bool OnStopSendingFrame(StopSendingFrame f)
    {
        var stream = GetStreamForFrame((long)f.StreamId, peerSends: false, out var error, out string? reason);
        if (error != TransportErrorCode.NoError) return StreamError(error, FrameType.StopSending, reason);
        if (stream?.Send is null) return true;
        if (!stream.ResetSent && !stream.Send.IsAllAcknowledged)
        {
            // RFC 9000 §3.5: answer STOP_SENDING with RESET_STREAM, with the same error code.
            ResetSendSide(stream, f.ApplicationProtocolErrorCode);
            Emit(ConnectionEventKind.StreamStopSending, stream.Id, f.ApplicationProtocolErrorCode);
        }
        return true;
    }

    private bool OnMaxStreamDataFrame(MaxStreamDataFrame f)
    {
        var stream = GetStreamForFrame((long)f.StreamId, peerSends: false, out var error, out string? reason);
        if (error != TransportErrorCode.NoError) return StreamError(error, FrameType.MaxStreamData, reason);
        if (stream?.SendCredit is null) return true;
        if (stream.SendCredit.OnMaxDataReceived((long)f.MaximumStreamData) && stream.Send!.UnsentBytes > 0) Schedule(stream);
        return true;
    }

    private bool OnStreamDataBlockedFrame(StreamDataBlockedFrame f)
    {
        var stream = GetStreamForFrame((long)f.StreamId, peerSends: true, out var error, out string? reason);
        if (error != TransportErrorCode.NoError) return StreamError(error, FrameType.StreamDataBlocked, reason);
        return true;
    }

    private void OnMaxStreamsFrame(MaxStreamsFrame f)
    {
        ref long max = ref f.Bidirectional ? ref _peerMaxStreamsBidi : ref _peerMaxStreamsUni;
        if ((long)f.MaximumStreams <= max) return; // RFC 9000 §19.11: never decreases
        max = (long)f.MaximumStreams;
        Emit(ConnectionEventKind.StreamsAvailable);
    }

    private bool OnDatagramFrame(DatagramFrame f, int encodedLength)
    {
        // RFC 9221 §3: DATAGRAM frames without (or beyond) our max_datagram_frame_size are a PROTOCOL_VIOLATION.
        if (_options.MaxDatagramFrameSize is not { } max || encodedLength > max)
        {
            CloseWithTransportError(TransportErrorCode.ProtocolViolation, (ulong)FrameType.Datagram, "DATAGRAM frame not allowed or too large (RFC 9221 §3).");
            return false;
        }
        _statDatagramsReceived++;
        _events.Enqueue(new ConnectionEvent { Kind = ConnectionEventKind.DatagramReceived, StreamId = -1, Data = f.Data.ToArray() });
        return true;
    }
}

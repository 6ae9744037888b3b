using Transport.Quic.Frames;

namespace Transport.Quic.Connection;

// Connection IDs (RFC 9000 §5.1): issuing ours, storing and retiring the peer's, spotting stateless resets.
public sealed partial class QuicConnectionCore
{
    /// <summary>At most this many connection IDs are issued at once, whatever the peer's limit.</summary>
    private const int MaxIssuedConnectionIds = 8;

    /// <summary>Issues connection IDs up to the peer's active_connection_id_limit (RFC 9000 §5.1.1), announcing each to the endpoint.</summary>
    private void IssueConnectionIds()
    {
        if (_peerParameters is null || _phase != ConnectionPhase.Open) return;
        int limit = (int)Math.Min(_peerParameters.ActiveConnectionIdLimit, MaxIssuedConnectionIds);
        while (_cids.LocalCount < limit)
        {
            var l = _cids.IssueLocal();
            Emit(new ConnectionEvent
            {
                Kind = ConnectionEventKind.ConnectionIdIssued, StreamId = -1, ConnectionId = l.Id, StatelessResetToken = (byte[])l.Token.Clone(),
            });
        }
    }

    private bool OnNewConnectionIdFrame(NewConnectionIdFrame f)
    {
        var error = _cids.OnNewConnectionId((long)f.SequenceNumber, (long)f.RetirePriorTo, f.ConnectionId, f.StatelessResetToken, _options.ActiveConnectionIdLimit);
        if (error == TransportErrorCode.NoError) return true;
        CloseWithTransportError(error, (ulong)FrameType.NewConnectionId, "Invalid NEW_CONNECTION_ID (RFC 9000 §5.1, §19.15).");
        return false;
    }

    private bool OnRetireConnectionIdFrame(RetireConnectionIdFrame f)
    {
        // RFC 9000 §19.16: retiring a sequence number never issued is a PROTOCOL_VIOLATION.
        if ((long)f.SequenceNumber > _cids.LargestIssuedSequence)
        {
            CloseWithTransportError(TransportErrorCode.ProtocolViolation, (ulong)FrameType.RetireConnectionId, "RETIRE_CONNECTION_ID for a sequence number never issued.");
            return false;
        }
        var retired = _cids.RetireLocal((long)f.SequenceNumber);
        if (retired is null) return true;
        Emit(new ConnectionEvent { Kind = ConnectionEventKind.ConnectionIdRetired, StreamId = -1, ConnectionId = retired.Id });
        IssueConnectionIds();
        return true;
    }
}

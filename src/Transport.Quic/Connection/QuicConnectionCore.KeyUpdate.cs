namespace Transport.Quic.Connection;

// The peer's key updates (RFC 9001 §6.2): a peer may not update again before a packet of its current key phase was
// acknowledged; two updates without that wait are a KEY_UPDATE_ERROR.
public sealed partial class QuicConnectionCore
{
    private long _largestAckSentInApplicationSpace = -1;
    private long _receiveKeyPhaseFirstPacketNumber;

    /// <summary>
    /// The receive keys moved to the next generation with the packet <paramref name="packetNumber"/>. When the peer
    /// initiated the update (<paramref name="peerInitiated"/>), it must have received an acknowledgment of a packet of
    /// its previous phase, which needs this endpoint to have sent an ACK frame covering a packet number at or above the
    /// first one of that phase; otherwise the peer updated twice without waiting and the connection closes with
    /// KEY_UPDATE_ERROR (RFC 9001 §6.2). False when it closed.
    /// </summary>
    private bool OnReceiveKeyUpdate(long packetNumber, bool peerInitiated)
    {
        if (peerInitiated && _largestAckSentInApplicationSpace < _receiveKeyPhaseFirstPacketNumber)
        {
            CloseWithTransportError(TransportErrorCode.KeyUpdateError, 0, "The peer updated keys again before its previous key phase was acknowledged (RFC 9001 §6.2).");
            return false;
        }
        _receiveKeyPhaseFirstPacketNumber = packetNumber;
        return true;
    }

    /// <summary>Test hook: moves the 1-RTT send keys to the next generation even while an update is unanswered (to play a misbehaving peer).</summary>
    internal void ForceKeyUpdateForTesting() => _oneRtt?.ForceKeyUpdateForTesting();
}

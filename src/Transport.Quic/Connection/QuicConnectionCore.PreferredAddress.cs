using System.Net;
using System.Net.Sockets;
using Transport.Quic.Parameters;

namespace Transport.Quic.Connection;

// The server's preferred address (RFC 9000 §9.6): the server advertises it with a connection ID of sequence number 1
// (RFC 9000 §5.1.1); the client validates it once the handshake is confirmed and moves there on success.
public sealed partial class QuicConnectionCore
{
    private IPEndPoint? _handshakeRemote; // client: the server's handshake address, still accepted after a move to the preferred address

    /// <summary>Client: the preferred address being validated or moved to, null when none was chosen.</summary>
    internal IPEndPoint? PreferredAddressChosen { get; private set; }

    /// <summary>Server: the preferred_address parameter, issuing its connection ID (sequence 1); null when none is configured.</summary>
    private PreferredAddress? BuildPreferredAddress()
    {
        if (_options.PreferredAddressIPv4 is null && _options.PreferredAddressIPv6 is null) return null;
        // RFC 9000 §5.1.1: the preferred address' connection ID has sequence number 1; it is not sent in NEW_CONNECTION_ID.
        var l = _cids.IssueLocal(sendFrame: false);
        if (l.Id.Length == 0)
            throw new ArgumentException("A server that uses zero-length connection IDs cannot offer a preferred address (RFC 9000 §18.2).");
        _events.Enqueue(new ConnectionEvent
        {
            Kind = ConnectionEventKind.ConnectionIdIssued, StreamId = -1, ConnectionId = l.Id, StatelessResetToken = (byte[])l.Token.Clone(),
        });
        return new PreferredAddress
        {
            IPv4Endpoint = _options.PreferredAddressIPv4,
            IPv6Endpoint = _options.PreferredAddressIPv6,
            ConnectionId = l.Id,
            StatelessResetToken = l.Token,
        };
    }

    /// <summary>Client: stores the preferred address' connection ID as the server's sequence 1; false (connection failing) when the parameter is invalid.</summary>
    private bool AcceptPreferredAddress(PreferredAddress pa)
    {
        // RFC 9000 §18.2: a server that chose a zero-length connection ID must not send preferred_address, nor may its
        // connection ID be empty.
        if (_cids.Current.Length == 0 || pa.ConnectionId.Length == 0)
        {
            FailFromTls(TransportErrorCode.TransportParameterError, "preferred_address from a server with a zero-length connection ID (RFC 9000 §18.2).");
            return false;
        }
        _cids.AddPreferredAddressPeer(pa.ConnectionId, pa.StatelessResetToken.ToArray());
        return true;
    }

    /// <summary>
    /// Client, at handshake confirmation: probes the server's preferred address of the current path's family from the
    /// current local address with its connection ID (RFC 9000 §9.6); the PATH_RESPONSE moves the connection there
    /// (<see cref="OnPathValidated"/>), a failed validation leaves it on the original path.
    /// </summary>
    private void StartPreferredAddressProbe()
    {
        if (IsServer || !_options.FollowPreferredAddress || _peerParameters?.PreferredAddress is not { } pa) return;
        if (!_cids.IsPeerActive(1) || PreferredAddressChosen is not null) return;
        IPAddress current = RemoteEndPoint.Address;
        bool v4 = current.AddressFamily == AddressFamily.InterNetwork || current.IsIPv4MappedToIPv6;
        IPEndPoint? target = v4 ? pa.IPv4Endpoint : pa.IPv6Endpoint;
        if (target is null || target.Port == 0 || PathState.SameEndPoint(target, RemoteEndPoint)) return;
        var local = _activePath?.Local;
        var path = FindPath(target, local) ?? AddPath(target, local);
        if (path is null) return;
        PreferredAddressChosen = target;
        _handshakeRemote = RemoteEndPoint;
        path.DestinationConnectionId = pa.ConnectionId;
        path.DestinationSequence = 1;
        path.StartValidation(_now + PathValidationTimeout()); // RFC 9000 §9.6: validate before moving
    }

    /// <summary>Client: a datagram from the server's original address after the move to its preferred address is still the server's.</summary>
    private bool IsHandshakeServerAddress(IPEndPoint remote) => _handshakeRemote is { } h && PathState.SameEndPoint(remote, h);
}

using Transport.Quic.Crypto;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;

namespace Transport.Quic.Connection;

// QUIC versions (RFC 9369: QUIC v2) and compatible version negotiation (RFC 9368): the version_information transport
// parameter, the server's switch to its preferred version, the client's acceptance and the downgrade checks.
public sealed partial class QuicConnectionCore
{
    private uint _version;          // long headers sent; Handshake, 1-RTT (and, after a switch, Initial) keys
    private uint _originalVersion;  // the version of the client's first Initial: 0-RTT packets always use it (RFC 9369 §4)
    private bool _versionSwitched;
    private bool _serverVersionKnown;
    private PacketProtection? _originalInitialReceiveKeys; // server after a switch: the client may still send original-version Initials
    private uint _receivingVersion;
    private uint[]? _versionNegotiationVersions;

    /// <summary>The QUIC version in use: the version of the client's first Initial until compatible version negotiation switches it (RFC 9368 §2.3).</summary>
    public uint Version => _version;

    /// <summary>The version of the client's first Initial packet (RFC 9368's "original version").</summary>
    public uint OriginalVersion => _originalVersion;

    /// <summary>
    /// Client, after the connection ended with <see cref="ConnectionCloseSource.VersionNegotiation"/>: the versions the server
    /// listed in its Version Negotiation packet (RFC 9000 §6.2). The connection never re-dials on its own; an application
    /// may open a new connection with one of these in <see cref="ConnectionOptions.Versions"/>.
    /// </summary>
    public IReadOnlyList<uint>? VersionNegotiationVersions => _versionNegotiationVersions;

    private void InitializeVersions(ConnectionOptions options, bool isServer)
    {
        // A client starts with its most preferred version; a server answers the version of the client's first Initial
        // (its keys are redone on that packet when it differs, see AcceptLongHeaderVersion).
        uint first = options.Versions[0];
        if (isServer && Array.IndexOf(options.Versions, QuicVersion.Version1) >= 0) first = QuicVersion.Version1;
        _version = _originalVersion = _receivingVersion = first;
    }

    private VersionInformation LocalVersionInformation() => new(_version, _options.Versions);

    /// <summary>
    /// Decides whether a long-header packet of <paramref name="version"/> belongs to this connection, switching the
    /// Initial keys where compatible version negotiation calls for it. Remembers the version for <see cref="InitialReceiveKeys"/>.
    /// </summary>
    private bool AcceptLongHeaderVersion(uint version, PacketType type)
    {
        _receivingVersion = version;
        if (version == _version) return true;
        if (!QuicVersionParameters.IsSupported(version) || Array.IndexOf(_options.Versions, version) < 0) return false;
        if (IsServer)
        {
            // The client's first Initial decides the original version (the endpoint admitted it).
            if (!_serverVersionKnown && type == PacketType.Initial && _peerInitialSourceConnectionId is null)
            {
                _serverVersionKnown = true;
                _version = _originalVersion = version;
                RekeyInitial(version);
                return true;
            }
            // RFC 9369 §4: original-version Initials until the client switches; 0-RTT always in the original version.
            if (version == _originalVersion)
                return type == PacketType.ZeroRtt || type == PacketType.Initial && _originalInitialReceiveKeys is not null;
            return false;
        }
        // Client: the server's first packet in another version we offered switches the connection (RFC 9368 §2.3).
        if (!_versionSwitched && type == PacketType.Initial && !_spaces[0].IsDiscarded && _phase == ConnectionPhase.Open)
        {
            _versionSwitched = true;
            _version = version;
            RekeyInitial(version);
            if (_qlog is not null) _qlog.VersionInformation(_now, version, clientVersions: _options.Versions);
            return true;
        }
        return false; // RFC 9369 §4: packets of the other version are dropped
    }

    /// <summary>The keys that open an Initial packet of the version being received.</summary>
    private PacketProtection? InitialReceiveKeys(PacketSpace initial) =>
        IsServer && _receivingVersion != _version && _receivingVersion == _originalVersion ? _originalInitialReceiveKeys : initial.ReceiveKeys;

    /// <summary>New Initial keys of <paramref name="version"/>, from the same client Destination Connection ID (RFC 9368 §2.3, RFC 9369 §3.3.1).</summary>
    private void RekeyInitial(uint version)
    {
        var initial = _spaces[0];
        if (initial.IsDiscarded) return;
        ReadOnlySpan<byte> dcid = IsServer ? _originalDestinationConnectionId.Span : (_retrySourceConnectionId ?? _originalDestinationConnectionId).Span;
        InitialSecrets.CreateProtection(version, dcid, IsServer, out var send, out var receive);
        initial.SendKeys?.Dispose();
        initial.SendKeys = send;
        if (IsServer && _originalInitialReceiveKeys is null && version != _originalVersion)
            _originalInitialReceiveKeys = initial.ReceiveKeys; // kept for the client's original-version Initials
        else initial.ReceiveKeys?.Dispose();
        initial.ReceiveKeys = receive;
    }

    /// <summary>
    /// Server, with the client's transport parameters (before TLS writes EncryptedExtensions): validates the client's
    /// version_information and switches to the most preferred version the client offers (RFC 9368 §2.3, §4). False after
    /// failing the handshake with VERSION_NEGOTIATION_ERROR.
    /// </summary>
    private bool NegotiateServerVersion(TransportParameters p)
    {
        if (CompatibleVersionNegotiation.CheckClient(p.VersionInformation, _originalVersion) is { } error)
        {
            FailFromTls(TransportErrorCode.VersionNegotiationError, error);
            return false;
        }
        uint chosen = CompatibleVersionNegotiation.Choose(p.VersionInformation, _originalVersion, _options.Versions);
        if (chosen != _version)
        {
            _version = chosen;
            _versionSwitched = true;
            RekeyInitial(chosen); // RFC 9369 §4: the server's Initial packets use the negotiated version from now on
            if (_qlog is not null) _qlog.VersionInformation(_now, chosen, serverVersions: _options.Versions);
        }
        _localParameters.VersionInformation = LocalVersionInformation();
        _tls.ReplaceLocalTransportParameters(_localParameters.Encode());
        return true;
    }

    /// <summary>Client: the server's version_information must name the version in use (RFC 9368 §4). False after failing.</summary>
    private bool ValidateServerVersion(TransportParameters p)
    {
        if (CompatibleVersionNegotiation.CheckServer(p.VersionInformation, _version, _originalVersion) is not { } error) return true;
        FailFromTls(TransportErrorCode.VersionNegotiationError, error);
        return false;
    }

    private void DisposeVersionKeys() => _originalInitialReceiveKeys?.Dispose();
}

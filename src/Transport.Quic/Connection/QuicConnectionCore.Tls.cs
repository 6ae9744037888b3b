using System.Security.Cryptography;
using Transport.Quic.Crypto;
using Transport.Quic.Parameters;
using Transport.Quic.Tls;
using Transport.Reliable;
using Transport.Reliable.FlowControl;

namespace Transport.Quic.Connection;

// The connection's side of the TLS handshake (RFC 9001 §4): CRYPTO bytes in and out, keys, transport parameters.
public sealed partial class QuicConnectionCore
{
    private TransportErrorCode _tlsCallbackError;
    private string? _tlsCallbackReason;

    /// <summary>Feeds the contiguous CRYPTO bytes of a space to TLS (RFC 9001 §4.1.3); returns false after closing on error.</summary>
    private bool DeliverCryptoData(PacketSpace space)
    {
        while (!space.IsDiscarded)
        {
            ReadOnlySpan<byte> data = space.CryptoReceive.PeekContiguous();
            if (data.IsEmpty) break;
            int length = data.Length;
            TlsResult r = _tls.ProcessCryptoData(space.Level, data);
            if (!space.IsDiscarded) space.CryptoReceive.Consume(length);
            if (_tlsCallbackError != TransportErrorCode.NoError)
            {
                CloseWithTransportError(_tlsCallbackError, 0x06, _tlsCallbackReason);
                return false;
            }
            if (r.IsError)
            {
                CloseWithTransportError(r.ErrorCode, 0x06, r.Reason);
                return false;
            }
        }
        if (!space.IsDiscarded) space.CryptoReceive.ReleaseStorageIfEmpty(); // a ticket's chunk is not kept for the connection's life
        return true;
    }

    void ITlsHandshakeListener.OnCryptoData(EncryptionLevel level, ReadOnlySpan<byte> data)
    {
        var space = SpaceOf(level);
        if (!space.IsDiscarded) space.CryptoSend.Write(data);
    }

    void ITlsHandshakeListener.OnReadSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        if (_qlog is not null) QlogKeyInstalled(level, suite, write: false);
        switch (level)
        {
            case EncryptionLevel.Handshake:
                _spaces[1].ReceiveKeys = PacketProtection.Create(suite, secret, Version);
                break;
            case EncryptionLevel.ZeroRtt:
                OnZeroRttReadSecret(suite, secret);
                break;
            case EncryptionLevel.OneRtt:
                _oneRttSuite = suite;
                _oneRttReceiveSecret = secret.ToArray();
                TryCreateOneRttKeys();
                break;
        }
    }

    void ITlsHandshakeListener.OnWriteSecret(EncryptionLevel level, CipherSuite suite, ReadOnlySpan<byte> secret)
    {
        if (_qlog is not null) QlogKeyInstalled(level, suite, write: true);
        switch (level)
        {
            case EncryptionLevel.Handshake:
                _spaces[1].SendKeys = PacketProtection.Create(suite, secret, Version);
                _recovery.OnHandshakeKeysAvailable(_now);
                break;
            case EncryptionLevel.ZeroRtt:
                OnZeroRttWriteSecret(suite, secret);
                break;
            case EncryptionLevel.OneRtt:
                _oneRttSuite = suite;
                _oneRttSendSecret = secret.ToArray();
                TryCreateOneRttKeys();
                break;
        }
    }

    private void TryCreateOneRttKeys()
    {
        if (_oneRtt is null && IsServer && _oneRttSendSecret is not null && _oneRttReceiveSecret is null)
        {
            // RFC 9001 §4.1.1: right after its first flight the server may send 1-RTT (0.5-RTT) data; it reads 1-RTT only
            // once the handshake completes (§5.7), when TLS gives the client's secret.
            _oneRtt = OneRttKeys.CreateSendOnly(_oneRttSuite, _oneRttSendSecret, Version);
            CryptographicOperations.ZeroMemory(_oneRttSendSecret);
            _oneRttSendSecret = null;
            Emit(ConnectionEventKind.HalfRttReady);
            return;
        }
        if (_oneRtt is not null && !_oneRtt.CanReceive && _oneRttReceiveSecret is not null)
        {
            _oneRtt.InstallReceiveSecret(_oneRttReceiveSecret, Version);
            CryptographicOperations.ZeroMemory(_oneRttReceiveSecret);
            _oneRttReceiveSecret = null;
            return;
        }
        if (_oneRtt is not null || _oneRttSendSecret is null || _oneRttReceiveSecret is null) return;
        _oneRtt = OneRttKeys.Create(_oneRttSuite, _oneRttSendSecret, _oneRttReceiveSecret, Version);
        CryptographicOperations.ZeroMemory(_oneRttSendSecret);
        CryptographicOperations.ZeroMemory(_oneRttReceiveSecret);
        _oneRttSendSecret = _oneRttReceiveSecret = null;
    }

    /// <summary>
    /// 1-RTT packets may be sent: a client once its handshake completed; a server once it has the 1-RTT write key, right
    /// after its first flight (0.5-RTT data, RFC 9001 §4.1.1; ACKs of 0-RTT packets, stream data, datagrams).
    /// </summary>
    private bool CanSendOneRtt => _oneRtt is not null && (_handshakeComplete || IsServer);

    void ITlsHandshakeListener.OnPeerTransportParameters(ReadOnlySpan<byte> parameters)
    {
        if (!TransportParameters.TryDecode(parameters, sentByServer: !IsServer, out var p, out string? error))
        {
            FailFromTls(TransportErrorCode.TransportParameterError, error);
            return;
        }
        // RFC 9000 §7.3: authenticate the connection IDs chosen during the handshake.
        if (p.InitialSourceConnectionId is not { } iscid || _peerInitialSourceConnectionId is not { } seen || !iscid.Equals(seen))
        {
            FailFromTls(TransportErrorCode.TransportParameterError, "initial_source_connection_id is missing or does not match the Source Connection ID (RFC 9000 §7.3).");
            return;
        }
        if (IsServer ? !NegotiateServerVersion(p) : !ValidateServerVersion(p)) return; // RFC 9368 §4 (QuicConnectionCore.Versions.cs)
        if (!IsServer)
        {
            if (p.OriginalDestinationConnectionId is not { } odcid || !odcid.Equals(_originalDestinationConnectionId))
            {
                FailFromTls(TransportErrorCode.TransportParameterError, "original_destination_connection_id does not match (RFC 9000 §7.3).");
                return;
            }
            bool retryMatches = _retrySourceConnectionId is { } rscid
                ? p.RetrySourceConnectionId is { } got && got.Equals(rscid)
                : p.RetrySourceConnectionId is null;
            if (!retryMatches)
            {
                FailFromTls(TransportErrorCode.TransportParameterError, "retry_source_connection_id does not match the Retry (RFC 9000 §7.3).");
                return;
            }
            if (p.StatelessResetToken is { } token) _cids.SetInitialPeerToken(token);
            if (p.PreferredAddress is { } pa && !AcceptPreferredAddress(pa)) return; // QuicConnectionCore.PreferredAddress.cs
        }
        ApplyPeerParameters(p);
    }

    private void ApplyPeerParameters(TransportParameters p)
    {
        _qlog?.ParametersSet(_now, Qlog.QlogOwner.Remote, p, _qlogCipherSuite);
        _peerParameters = p;
        _recovery.MaxAckDelay = TimeSpan.FromMilliseconds(p.MaxAckDelayMs);
        int peerMax = (int)Math.Min(p.MaxUdpPayloadSize, 65527UL);
        if (peerMax < _maxDatagramSize) _maxDatagramSize = Math.Max(1200, peerMax);
        _connectionSendCredit.OnMaxDataReceived((long)p.InitialMaxData);
        _peerMaxStreamsBidi = (long)p.InitialMaxStreamsBidi;
        _peerMaxStreamsUni = (long)p.InitialMaxStreamsUni;
        // Streams opened in 0-RTT under the remembered limits get the real ones (RFC 9000 §7.4.1: never smaller when accepted).
        foreach (var s in _streams.Values)
        {
            if (!s.IsLocal || s.SendCredit is null) continue;
            ulong limit = StreamIds.IsUnidirectional(s.Id) ? p.InitialMaxStreamDataUni : p.InitialMaxStreamDataBidiRemote;
            if (s.SendCredit.OnMaxDataReceived((long)limit) && s.Send is { UnsentBytes: > 0 }) Schedule(s);
        }
        ResetIdleTimer(_now);
    }

    private void FailFromTls(TransportErrorCode code, string? reason)
    {
        if (_tlsCallbackError != TransportErrorCode.NoError) return;
        _tlsCallbackError = code;
        _tlsCallbackReason = reason;
        _tls.Abort(code, reason ?? code.ToString()); // nothing more is emitted by TLS; ProcessCryptoData returns this error
    }

    void ITlsHandshakeListener.OnHandshakeComplete()
    {
        _handshakeComplete = true;
        if (_qlog is not null) QlogHandshakeState(Qlog.QlogConnectionState.HandshakeComplete);
        Emit(ConnectionEventKind.HandshakeCompleted);
        if (IsServer)
        {
            // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes; it sends HANDSHAKE_DONE.
            _handshakeDonePending = true;
            ConfirmHandshake();
            QueueNewToken();
        }
        else
        {
            OnClientHandshakeCompleteZeroRtt();
        }
        IssueConnectionIds();
    }

    void ITlsHandshakeListener.OnSessionTicket(TlsSessionTicket ticket) => SessionTicket = ticket;

    private void ConfirmHandshake()
    {
        if (_handshakeConfirmed) return;
        _handshakeConfirmed = true;
        if (_qlog is not null) QlogHandshakeState(Qlog.QlogConnectionState.HandshakeConfirmed);
        _addressValidated = true;
        _recovery.OnHandshakeConfirmed(_now);
        _discardHandshakePending = true; // RFC 9001 §4.9.2
        Emit(ConnectionEventKind.HandshakeConfirmed);
        StartPreferredAddressProbe(); // RFC 9000 §9.6: the client, once the handshake is confirmed
        OnPathMtuHandshakeConfirmed(); // RFC 8899 §5.2: PMTU discovery starts (QuicConnectionCore.PathMtu.cs)
    }

    /// <summary>Applies key discards decided while processing (never in the middle of a packet).</summary>
    private void ApplyPendingDiscards()
    {
        if (_discardInitialPending)
        {
            _discardInitialPending = false;
            DiscardSpace(_spaces[0]);
        }
        if (_discardHandshakePending)
        {
            _discardHandshakePending = false;
            if (!_spaces[0].IsDiscarded) DiscardSpace(_spaces[0]);
            DiscardSpace(_spaces[1]);
        }
    }

    private void DiscardSpace(PacketSpace space)
    {
        if (space.IsDiscarded) return;
        if (_qlog is not null) QlogKeysRetired(space.Level);
        space.Discard();
        _recovery.DiscardSpace(space.Id, _now); // RFC 9002 §6.4
    }
}

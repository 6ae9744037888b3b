using Transport.Quic.Crypto;
using Transport.Quic.Packets;
using Transport.Quic.Parameters;

namespace Transport.Quic.Connection;

/// <summary>
/// The rules of compatible version negotiation (RFC 9368 §2.3, §4) and QUIC v2's part in it (RFC 9369 §4), as pure
/// functions over the version_information transport parameters: which version a server chooses, and the checks that
/// close a connection with VERSION_NEGOTIATION_ERROR (a null result means the check passed).
/// </summary>
internal static class CompatibleVersionNegotiation
{
    /// <summary>
    /// Server: the client's version_information, received in Initial packets of <paramref name="initialVersion"/>.
    /// Its Chosen Version must be that version (RFC 9368 §4); a client that speaks QUIC v2 must send it (RFC 9369 §4).
    /// </summary>
    public static string? CheckClient(VersionInformation? client, uint initialVersion)
    {
        if (client is null)
            return initialVersion == QuicVersion.Version1 ? null : $"The client sent no version_information in QUIC 0x{initialVersion:x8} (RFC 9369 §4).";
        if (client.ChosenVersion != initialVersion)
            return $"The client's Chosen Version 0x{client.ChosenVersion:x8} is not the version of its Initial packets 0x{initialVersion:x8} (RFC 9368 §4).";
        return null;
    }

    /// <summary>
    /// Server: the negotiated version, the first of <paramref name="serverPreference"/> that the client lists among its
    /// Available Versions and that is compatible with <paramref name="originalVersion"/> (v1 and v2 are mutually
    /// compatible, RFC 9369 §4); the original version when there is none or the client sent no version_information.
    /// </summary>
    public static uint Choose(VersionInformation? client, uint originalVersion, ReadOnlySpan<uint> serverPreference)
    {
        if (client is null) return originalVersion;
        foreach (uint v in serverPreference)
        {
            if (v == originalVersion) return v;
            if (!QuicVersionParameters.IsSupported(v) || !QuicVersionParameters.IsSupported(originalVersion)) continue;
            var available = client.AvailableVersions;
            for (int i = 0; i < available.Count; i++)
                if (available[i] == v) return v;
        }
        return originalVersion;
    }

    /// <summary>
    /// Client: the server's version_information for a connection now in <paramref name="versionInUse"/> (the version of
    /// the server's long headers). Its Chosen Version must be that version (RFC 9368 §4); it may be absent only for a
    /// QUIC v1 connection that was never switched.
    /// </summary>
    public static string? CheckServer(VersionInformation? server, uint versionInUse, uint originalVersion)
    {
        if (server is null)
            return versionInUse == QuicVersion.Version1 && originalVersion == QuicVersion.Version1
                ? null
                : $"The server sent no version_information although QUIC 0x{versionInUse:x8} is in use (RFC 9368 §4, RFC 9369 §4).";
        if (server.ChosenVersion != versionInUse)
            return $"The server's Chosen Version 0x{server.ChosenVersion:x8} is not the version in use 0x{versionInUse:x8} (RFC 9368 §4).";
        return null;
    }
}

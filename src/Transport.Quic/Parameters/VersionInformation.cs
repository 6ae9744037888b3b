namespace Transport.Quic.Parameters;

/// <summary>
/// The version_information transport parameter (RFC 9368 §5): the sender's Chosen Version and its Available Versions.
/// Decoding enforces the parsing rules of RFC 9368 §6 (no zero versions; a client lists its Chosen Version among its
/// Available Versions); the negotiation checks themselves belong to the connection.
/// </summary>
public sealed record VersionInformation
{
    /// <summary>Creates version information.</summary>
    /// <exception cref="ArgumentException">A zero version.</exception>
    public VersionInformation(uint chosenVersion, params uint[] availableVersions)
    {
        if (chosenVersion == 0) throw new ArgumentException("The Chosen Version is never 0 (RFC 9368 §6).", nameof(chosenVersion));
        ArgumentNullException.ThrowIfNull(availableVersions);
        if (Array.IndexOf(availableVersions, 0u) >= 0) throw new ArgumentException("No Available Version is 0 (RFC 9368 §6).", nameof(availableVersions));
        ChosenVersion = chosenVersion;
        AvailableVersions = (uint[])availableVersions.Clone();
    }

    /// <summary>The version the sender chose for this connection.</summary>
    public uint ChosenVersion { get; }

    /// <summary>The sender's available versions (a client: compatible versions by preference; a server: fully deployed versions).</summary>
    public IReadOnlyList<uint> AvailableVersions { get; }

    /// <summary>Value equality including the version list.</summary>
    public bool Equals(VersionInformation? other) =>
        other is not null && ChosenVersion == other.ChosenVersion && AvailableVersions.SequenceEqual(other.AvailableVersions);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ChosenVersion, AvailableVersions.Count);
}

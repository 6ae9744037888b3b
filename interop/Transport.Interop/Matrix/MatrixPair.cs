namespace Transport.Interop.Matrix;

/// <summary>A column of the matrix: which implementation is the client and which the server.</summary>
public sealed record MatrixPair(MatrixImplementation Client, MatrixImplementation Server)
{
    /// <summary>Stable key "client-server" (lower case), used in JSON and expected.json, e.g. "ours-ngtcp2".</summary>
    public string Key => $"{Name(Client)}-{Name(Server)}";

    /// <summary>Column header "client → server".</summary>
    public string Header => $"{Name(Client)} → {Name(Server)}";

    /// <summary>Lower-case name of an implementation.</summary>
    public static string Name(MatrixImplementation implementation) => implementation switch
    {
        MatrixImplementation.Ours => "ours",
        MatrixImplementation.Ngtcp2 => "ngtcp2",
        MatrixImplementation.Msquic => "msquic",
        _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
    };

    /// <summary>Parses a key such as "ours-ngtcp2".</summary>
    public static MatrixPair Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string[] parts = key.Split('-');
        if (parts.Length != 2) throw new ArgumentException($"'{key}' is not a pair key like 'ours-ngtcp2'.", nameof(key));
        return new MatrixPair(ParseImplementation(parts[0]), ParseImplementation(parts[1]));
    }

    /// <summary>Parses "ours", "ngtcp2" or "msquic".</summary>
    public static MatrixImplementation ParseImplementation(string name) => name.ToLowerInvariant() switch
    {
        "ours" or "self" => MatrixImplementation.Ours,
        "ngtcp2" => MatrixImplementation.Ngtcp2,
        "msquic" => MatrixImplementation.Msquic,
        _ => throw new ArgumentException($"Unknown implementation '{name}' (known: ours, ngtcp2, msquic).", nameof(name)),
    };

    /// <summary>
    /// The columns for a --peer choice: for a foreign peer P, ours → P, P → ours, ours → ours and P → P (the reference
    /// column that validates the harness); "self" is ours → ours alone; "all" is every peer's columns.
    /// </summary>
    public static IReadOnlyList<MatrixPair> ForPeers(IEnumerable<string> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var list = new List<MatrixPair>();
        void Add(MatrixPair p) { if (!list.Contains(p)) list.Add(p); }
        foreach (string raw in peers)
        {
            string peer = raw.ToLowerInvariant();
            if (peer == "all")
            {
                foreach (MatrixPair p in ForPeers(["ngtcp2", "msquic"])) Add(p);
                continue;
            }
            if (peer is "self" or "ours")
            {
                Add(new(MatrixImplementation.Ours, MatrixImplementation.Ours));
                continue;
            }
            MatrixImplementation foreign = ParseImplementation(peer);
            Add(new(MatrixImplementation.Ours, foreign));
            Add(new(foreign, MatrixImplementation.Ours));
            Add(new(MatrixImplementation.Ours, MatrixImplementation.Ours));
            Add(new(foreign, foreign));
        }
        return list;
    }

    /// <inheritdoc />
    public override string ToString() => Key;
}

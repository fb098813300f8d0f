package specs

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// ResolvedUser is a User with its passwords reduced to their SHA-256
// hashes, which is all the nodes (and the ACL Secret) ever see.
type ResolvedUser struct {
	// Name of the user.
	Name string
	// AccessString from the User's spec.
	AccessString string
	// NoPassword: the user authenticates without a password.
	NoPassword bool
	// Hashes are the hex SHA-256 hashes of its passwords.
	Hashes []string
}

// HashPassword is the SHA-256 of a password in hex, as Redis stores
// passwords and as an ACL file's #<hash> rule takes them. The password's
// bytes are hashed as they are, a trailing newline included.
func HashPassword(password []byte) string {
	sum := sha256.Sum256(password)
	return hex.EncodeToString(sum[:])
}

// RenderACL writes a Cluster's ACL file (Redis aclfile syntax, one user a
// line, sorted by name). The open-access ACL enables the default user
// without a password; any other ACL disables the default user and lists
// its users, each as: user <name> on|off #<hash>...|nopass <rules>.
func RenderACL(aclName string, users []ResolvedUser) string {
	var b strings.Builder
	if aclName == mnemov1.OpenAccessACLName {
		b.WriteString("user default on nopass ~* &* +@all\n")
		return b.String()
	}
	b.WriteString("user default off -@all\n")
	sorted := slices.Clone(users)
	slices.SortFunc(sorted, func(a, b ResolvedUser) int { return strings.Compare(a.Name, b.Name) })
	for _, u := range sorted {
		if u.Name == "default" {
			continue
		}
		b.WriteString(userLine(u))
		b.WriteByte('\n')
	}
	return b.String()
}

// userLine puts the access string's on/off first (the last one wins, as in
// ACL SETUSER; off when there is none, as for a new Redis user), then the
// passwords, then the remaining rules.
func userLine(u ResolvedUser) string {
	state := "off"
	var rules []string
	for _, tok := range strings.Fields(u.AccessString) {
		switch tok {
		case "on", "off":
			state = tok
		default:
			rules = append(rules, tok)
		}
	}
	parts := []string{"user", u.Name, state}
	if u.NoPassword {
		parts = append(parts, "nopass")
	}
	for _, h := range u.Hashes {
		parts = append(parts, "#"+h)
	}
	return strings.Join(append(parts, rules...), " ")
}

// OperatorUser is the ACL user the operator connects to a Cluster's data
// nodes as, when its ACL is not open-access: it needs roles and lag
// (INFO), live parameters (CONFIG SET), the slot map and slot moves
// (CLUSTER), and planned handoffs (FAILOVER). It is added to every such
// Cluster's ACL file; a User of that name is left out of the file.
const OperatorUser = "mnemo-operator"

// OperatorAccess is OperatorUser's access string: those commands, no key
// and no channel.
const OperatorAccess = "on -@all +info +ping +role +config|get +config|set +cluster +failover"

// OperatorPasswordKey is the key of the operator's password in its Secret.
const OperatorPasswordKey = "password"

// OperatorSecretName is the Secret holding the password of the
// operator's user on a Cluster's nodes.
func OperatorSecretName(c *mnemov1.Cluster) string { return c.Name + "-operator" }

// OperatorSecret holds the password the operator authenticates with on a
// Cluster's nodes; the Cluster owns it, and the operator makes it once.
func OperatorSecret(c *mnemov1.Cluster, password []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: ownedBy(OperatorSecretName(c), c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{OperatorPasswordKey: password},
	}
}

// WithOperatorUser returns users with the operator's user, with the hash
// of its password, in place of any user of that name.
func WithOperatorUser(users []ResolvedUser, passwordHash string) []ResolvedUser {
	out := slices.DeleteFunc(slices.Clone(users), func(u ResolvedUser) bool { return u.Name == OperatorUser })
	return append(out, ResolvedUser{Name: OperatorUser, AccessString: OperatorAccess, Hashes: []string{passwordHash}})
}

// ACLSecret holds a Cluster's rendered ACL file, which every data node
// mounts under /etc/mnemo/acl. It holds hashes only, never a password.
func ACLSecret(c *mnemov1.Cluster, rendered string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: ownedBy(c.ACLSecretName(), c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{ACLFileKey: []byte(rendered)},
	}
}

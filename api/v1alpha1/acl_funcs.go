package v1alpha1

// IsBuiltin reports whether the ACL is the built-in open-access ACL.
func (a *ACL) IsBuiltin() bool { return a.Name == OpenAccessACLName }

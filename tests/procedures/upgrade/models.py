"""No models: present so that post_migrate creates the old app's content types and permissions from the state its
migrations build (Django skips apps without a models module)."""

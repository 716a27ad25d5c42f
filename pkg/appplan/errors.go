package appplan
